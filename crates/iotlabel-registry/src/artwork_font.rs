//! The bitmap font of the PNG label artwork: 5 x 7 glyphs (lowercase descenders reach two
//! rows lower) for exactly the characters a label needs.
//!
//! Why not a font crate: the server has no system fonts and fetches nothing at run time, so
//! a crate would have to embed a font. The rasterising crates (ab_glyph, fontdue, rusttype)
//! need a TrueType file shipped with its own licence and produce anti-aliased text that
//! blurs the crisp, print-ready edges the QR code and asterisks need; the embedded console
//! fonts (font8x8 and the like) carry hundreds of glyphs we never draw. Sixty-nine glyphs
//! drawn here are a page of data, exact at every integer scale, and easy to check in tests.

/// Columns of a glyph.
pub const GLYPH_WIDTH: usize = 5;
/// Rows from the top of a capital to the baseline.
pub const CAP_HEIGHT: usize = 7;
/// Rows including the descenders of g, j, p, q and y.
pub const GLYPH_HEIGHT: usize = 9;
/// Horizontal distance from one glyph to the next (one blank column between).
pub const ADVANCE: usize = GLYPH_WIDTH + 1;

/// Each glyph as rows separated by spaces, top first: `#` ink, `.` paper. Seven rows, or
/// nine for letters with a descender.
const GLYPHS: &[(char, &str)] = &[
    ('A', ".###. #...# #...# ##### #...# #...# #...#"),
    ('B', "####. #...# #...# ####. #...# #...# ####."),
    ('C', ".###. #...# #.... #.... #.... #...# .###."),
    ('D', "####. #...# #...# #...# #...# #...# ####."),
    ('E', "##### #.... #.... ####. #.... #.... #####"),
    ('F', "##### #.... #.... ####. #.... #.... #...."),
    ('G', ".###. #...# #.... #.### #...# #...# .####"),
    ('H', "#...# #...# #...# ##### #...# #...# #...#"),
    ('I', ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
    ('J', "..### ...#. ...#. ...#. ...#. #..#. .##.."),
    ('K', "#...# #..#. #.#.. ##... #.#.. #..#. #...#"),
    ('L', "#.... #.... #.... #.... #.... #.... #####"),
    ('M', "#...# ##.## #.#.# #.#.# #...# #...# #...#"),
    ('N', "#...# #...# ##..# #.#.# #..## #...# #...#"),
    ('O', ".###. #...# #...# #...# #...# #...# .###."),
    ('P', "####. #...# #...# ####. #.... #.... #...."),
    ('Q', ".###. #...# #...# #...# #.#.# #..#. .##.#"),
    ('R', "####. #...# #...# ####. #.#.. #..#. #...#"),
    ('S', ".#### #.... #.... .###. ....# ....# ####."),
    ('T', "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#.."),
    ('U', "#...# #...# #...# #...# #...# #...# .###."),
    ('V', "#...# #...# #...# #...# #...# .#.#. ..#.."),
    ('W', "#...# #...# #...# #.#.# #.#.# #.#.# .#.#."),
    ('X', "#...# #...# .#.#. ..#.. .#.#. #...# #...#"),
    ('Y', "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#.."),
    ('Z', "##### ....# ...#. ..#.. .#... #.... #####"),
    ('a', "..... ..... .###. ....# .#### #...# .####"),
    ('b', "#.... #.... #.##. ##..# #...# #...# ####."),
    ('c', "..... ..... .###. #.... #.... #...# .###."),
    ('d', "....# ....# .##.# #..## #...# #...# .####"),
    ('e', "..... ..... .###. #...# ##### #.... .###."),
    ('f', "..##. .#..# .#... ###.. .#... .#... .#..."),
    ('g', "..... ..... .#### #...# #...# #...# .#### ....# .###."),
    ('h', "#.... #.... #.##. ##..# #...# #...# #...#"),
    ('i', "..#.. ..... .##.. ..#.. ..#.. ..#.. .###."),
    ('j', "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##.."),
    ('k', "#.... #.... #..#. #.#.. ##... #.#.. #..#."),
    ('l', ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###."),
    ('m', "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#"),
    ('n', "..... ..... #.##. ##..# #...# #...# #...#"),
    ('o', "..... ..... .###. #...# #...# #...# .###."),
    ('p', "..... ..... ####. #...# #...# #...# ####. #.... #...."),
    ('q', "..... ..... .#### #...# #...# #...# .#### ....# ....#"),
    ('r', "..... ..... #.##. ##..# #.... #.... #...."),
    ('s', "..... ..... .#### #.... .###. ....# ####."),
    ('t', ".#... .#... ###.. .#... .#... .#..# ..##."),
    ('u', "..... ..... #...# #...# #...# #..## .##.#"),
    ('v', "..... ..... #...# #...# #...# .#.#. ..#.."),
    ('w', "..... ..... #...# #...# #.#.# #.#.# .#.#."),
    ('x', "..... ..... #...# .#.#. ..#.. .#.#. #...#"),
    ('y', "..... ..... #...# #...# #...# #...# .#### ....# .###."),
    ('z', "..... ..... ##### ...#. ..#.. .#... #####"),
    ('0', ".###. #...# #..## #.#.# ##..# #...# .###."),
    ('1', "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###."),
    ('2', ".###. #...# ....# ...#. ..#.. .#... #####"),
    ('3', "##### ...#. ..#.. ...#. ....# #...# .###."),
    ('4', "...#. ..##. .#.#. #..#. ##### ...#. ...#."),
    ('5', "##### #.... ####. ....# ....# #...# .###."),
    ('6', "..##. .#... #.... ####. #...# #...# .###."),
    ('7', "##### ....# ...#. ..#.. .#... .#... .#..."),
    ('8', ".###. #...# #...# .###. #...# #...# .###."),
    ('9', ".###. #...# #...# .#### ....# ...#. .##.."),
    (' ', "..... ..... ..... ..... ..... ..... ....."),
    ('(', "...#. ..#.. .#... .#... .#... ..#.. ...#."),
    (')', ".#... ..#.. ...#. ...#. ...#. ..#.. .#..."),
    ('-', "..... ..... ..... ##### ..... ..... ....."),
    ('*', "..... #.#.# .###. ##### .###. #.#.# ....."),
    ('.', "..... ..... ..... ..... ..... .##.. .##.."),
    ('/', "....# ....# ...#. ..#.. .#... #.... #...."),
];

/// Every character the font draws, for error messages.
pub fn supported_characters() -> String {
    GLYPHS.iter().map(|(c, _)| *c).collect()
}

/// The glyph of `c` as rows of ink flags (7 or 9 rows of [`GLYPH_WIDTH`]), or `None` when the
/// font does not have it.
pub fn glyph(c: char) -> Option<impl Iterator<Item = impl Iterator<Item = bool>>> {
    GLYPHS
        .iter()
        .find(|(glyph, _)| *glyph == c)
        .map(|(_, rows)| {
            rows.split(' ')
                .map(|row| row.chars().map(|cell| cell == '#'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_well_formed_and_unique() {
        let needed = ('A'..='Z')
            .chain('a'..='z')
            .chain('0'..='9')
            .chain(" ()-*./".chars());
        for c in needed {
            assert!(glyph(c).is_some(), "no glyph for {c:?}");
        }
        let mut seen = std::collections::HashSet::new();
        for (c, rows) in GLYPHS {
            assert!(seen.insert(*c), "{c:?} twice");
            let rows: Vec<&str> = rows.split(' ').collect();
            assert!(
                rows.len() == CAP_HEIGHT || rows.len() == GLYPH_HEIGHT,
                "{c:?} has {} rows",
                rows.len()
            );
            for row in rows {
                assert_eq!(row.len(), GLYPH_WIDTH, "{c:?} row {row:?}");
                assert!(row.chars().all(|cell| cell == '#' || cell == '.'), "{c:?}");
            }
        }
        assert_eq!(GLYPHS.len(), 26 + 26 + 10 + 7);
        assert!(glyph('?').is_none());
        // Distinct shapes: no two characters (other than the blank space) look the same.
        let mut shapes = std::collections::HashSet::new();
        for (c, rows) in GLYPHS {
            assert!(shapes.insert(*rows), "{c:?} duplicates another glyph");
        }
    }
}
