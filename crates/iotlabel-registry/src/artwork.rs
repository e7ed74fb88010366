//! Label artwork as SVG and PNG: the scheme's short name, the level as one to four asterisks,
//! the registration id, and a QR code holding only the short URL of the public product page.
//! The QR code is encoded by the `qrcode` crate. In the SVG its modules are one path, so the
//! whole label is a single self-contained document with no fonts or images to fetch. The PNG
//! is the same layout rasterised for print (crisp integer pixels, text in the built-in bitmap
//! font of [`crate::artwork_font`]) and encoded by the `png` crate.

use qrcode::{Color, EcLevel, QrCode};

use crate::artwork_font::{self, ADVANCE, CAP_HEIGHT, GLYPH_HEIGHT, GLYPH_WIDTH};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtworkError {
    #[error("the URL does not fit in a QR code: {0}")]
    Qr(String),
    #[error("level {0} is not 1 to 4")]
    Level(i64),
    #[error("PNG scale {0} is not 1 to {MAX_SCALE}")]
    Scale(u32),
    #[error(
        "{character:?} in {text:?} cannot be drawn in the PNG artwork: its font has only {}",
        artwork_font::supported_characters()
    )]
    Character { text: String, character: char },
    #[error("{text:?} is too long for the PNG artwork: at most {max} characters fit")]
    TooLong { text: String, max: usize },
    #[error(
        "the QR code of the product page URL has {modules} modules (with its quiet zone), more \
         than {pixels} pixels can hold at scale {scale}: use a larger scale or a shorter public URL"
    )]
    QrTooDense {
        modules: usize,
        pixels: usize,
        scale: u32,
    },
    #[error("PNG encoding failed: {0}")]
    Png(String),
    #[error("cannot read the label image: {0}")]
    Decode(String),
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The QR code of `url` (error correction M, as printed labels get scuffed).
fn qr_code(url: &str) -> Result<QrCode, ArtworkError> {
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|error| ArtworkError::Qr(error.to_string()))
}

/// The QR code's dark modules as one SVG path (one unit per module), and its width.
fn qr_path(url: &str) -> Result<(String, usize), ArtworkError> {
    let code = qr_code(url)?;
    let width = code.width();
    let mut path = String::new();
    for (index, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (index % width, index / width);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok((path, width))
}

/// The label as an SVG document.
pub fn label_svg(
    scheme_short_name: &str,
    registration_id: &str,
    level: i64,
    product_page_url: &str,
) -> Result<String, ArtworkError> {
    if !(1..=4).contains(&level) {
        return Err(ArtworkError::Level(level));
    }
    let stars = "*".repeat(usize::try_from(level).unwrap_or(1));
    let (path, width) = qr_path(product_page_url)?;
    // A 4-module quiet zone around the code, scaled into a 120-unit square.
    let quiet = 4;
    let span = width + 2 * quiet;
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160" viewBox="0 0 320 160" role="img" aria-label="{title}">
<title>{title}</title>
<rect x="1" y="1" width="318" height="158" rx="12" fill="#ffffff" stroke="#1b365d" stroke-width="2"/>
<text x="20" y="42" font-family="sans-serif" font-size="22" font-weight="bold" fill="#1b365d">{scheme}</text>
<text x="20" y="92" font-family="monospace" font-size="44" font-weight="bold" fill="#c8102e" aria-label="level {level}">{stars}</text>
<text x="20" y="136" font-family="monospace" font-size="15" fill="#1b365d">{id}</text>
<svg x="188" y="20" width="120" height="120" viewBox="-{quiet} -{quiet} {span} {span}" shape-rendering="crispEdges">
<rect x="-{quiet}" y="-{quiet}" width="{span}" height="{span}" fill="#ffffff"/>
<path d="{path}" fill="#000000"/>
</svg>
</svg>
"##,
        title = escape(&format!(
            "{scheme_short_name} level {level} label {registration_id}"
        )),
        scheme = escape(scheme_short_name),
        id = escape(registration_id),
    ))
}

/// The scale the registry serves: a 960 x 480 pixel label.
pub const PRINT_SCALE: u32 = 3;
/// The largest scale [`label_png`] draws (2560 x 1280 pixels).
pub const MAX_SCALE: u32 = 8;

/// The label's size in layout units (the SVG's user units); a PNG pixel is `1 / scale` unit.
const UNITS_WIDE: usize = 320;
const UNITS_HIGH: usize = 160;
/// Resolution written to the PNG per unit of scale, so the label always prints at the same
/// physical size (320 units = 81.3 mm) and a larger scale only adds detail.
const DPI_PER_SCALE: u32 = 100;
/// The QR code's square (quiet zone included): left, top and side, in units.
const QR_LEFT: usize = 188;
const QR_TOP: usize = 20;
const QR_SIDE: usize = 120;
const QR_QUIET_MODULES: usize = 4;
/// Text starts here and must end before the QR code's square, in units.
const TEXT_LEFT: usize = 20;
const TEXT_ROOM: usize = QR_LEFT - 8 - TEXT_LEFT;

/// Palette indices of the PNG (an 8-bit indexed image).
const CLEAR: u8 = 0;
const WHITE: u8 = 1;
const NAVY: u8 = 2;
const RED: u8 = 3;
const BLACK: u8 = 4;
/// RGB per palette index: the same colours as the SVG.
const PALETTE: [u8; 15] = [
    0xff, 0xff, 0xff, // CLEAR (transparent through the tRNS chunk)
    0xff, 0xff, 0xff, // WHITE
    0x1b, 0x36, 0x5d, // NAVY: border, scheme name, registration id
    0xc8, 0x10, 0x2e, // RED: asterisks
    0x00, 0x00, 0x00, // BLACK: QR modules
];
/// Alpha of the palette's first entries; the ones not listed are opaque.
const TRANSPARENCY: [u8; 1] = [0];

/// Where a line of text goes: top-left corner of its first glyph and the size of one font
/// pixel, all in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placement {
    x: usize,
    y: usize,
    px: usize,
}

/// The positions of everything on a PNG label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    width: usize,
    height: usize,
    scale: usize,
    scheme: Placement,
    stars: Placement,
    id: Placement,
}

/// The size of one font pixel that makes `text` fit in `room` image pixels, at most
/// `preferred`; an error naming the text when even one pixel is too wide.
fn fit(text: &str, preferred: usize, room: usize) -> Result<usize, ArtworkError> {
    let count = text.chars().count();
    let columns = (ADVANCE * count).saturating_sub(1).max(1);
    let px = preferred.min(room / columns);
    if px == 0 {
        return Err(ArtworkError::TooLong {
            text: text.to_owned(),
            max: (room + 1) / ADVANCE,
        });
    }
    Ok(px)
}

/// A line of text whose capitals stand on `baseline`.
fn baseline(x: usize, baseline: usize, px: usize) -> Placement {
    Placement {
        x,
        y: baseline.saturating_sub(CAP_HEIGHT * px),
        px,
    }
}

fn layout(scheme: &str, registration_id: &str, scale: u32) -> Result<Layout, ArtworkError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(ArtworkError::Scale(scale));
    }
    for text in [scheme, registration_id] {
        if let Some(character) = text.chars().find(|c| artwork_font::glyph(*c).is_none()) {
            return Err(ArtworkError::Character {
                text: text.to_owned(),
                character,
            });
        }
    }
    let s = usize::try_from(scale).map_err(|_| ArtworkError::Scale(scale))?;
    let room = TEXT_ROOM * s;
    Ok(Layout {
        width: UNITS_WIDE * s,
        height: UNITS_HIGH * s,
        scale: s,
        // Capitals 14 units high on the SVG heading's baseline (y = 42).
        scheme: baseline(TEXT_LEFT * s, 42 * s, fit(scheme, 2 * s, room)?),
        // Asterisks 35 units high: four of them take 115 units.
        stars: Placement {
            x: TEXT_LEFT * s,
            y: 50 * s,
            px: 5 * s,
        },
        // Capitals about 10 units high on the SVG id line's baseline (y = 136).
        id: baseline(
            TEXT_LEFT * s,
            136 * s,
            fit(registration_id, (3 * s).div_ceil(2), room)?,
        ),
    })
}

/// An indexed-colour raster.
#[derive(Debug)]
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![CLEAR; width * height],
        }
    }

    /// Fills a rectangle, clipped to the canvas.
    fn fill(&mut self, x: usize, y: usize, width: usize, height: usize, colour: u8) {
        let right = x.saturating_add(width).min(self.width);
        let bottom = y.saturating_add(height).min(self.height);
        for row in y.min(bottom)..bottom {
            let start = row * self.width;
            self.pixels[start + x.min(right)..start + right].fill(colour);
        }
    }

    /// Draws `text` with its first glyph's top-left corner at `at` (characters the font lacks
    /// were refused by [`layout`] and are skipped here).
    fn text(&mut self, text: &str, at: Placement, colour: u8) {
        for (index, c) in text.chars().enumerate() {
            let Some(rows) = artwork_font::glyph(c) else {
                continue;
            };
            let left = at.x + index * ADVANCE * at.px;
            for (row, cells) in rows.take(GLYPH_HEIGHT).enumerate() {
                for (column, ink) in cells.take(GLYPH_WIDTH).enumerate() {
                    if ink {
                        let (x, y) = (left + column * at.px, at.y + row * at.px);
                        self.fill(x, y, at.px, at.px, colour);
                    }
                }
            }
        }
    }
}

/// Whether the centre of pixel (x, y) lies inside the rectangle [left, right) x [top, bottom)
/// with corners rounded to `radius` pixels. Works in half pixels to stay in integers.
fn inside_rounded(
    (x, y): (usize, usize),
    (left, top, right, bottom): (usize, usize, usize, usize),
    radius: usize,
) -> bool {
    let (px, py) = (2 * x + 1, 2 * y + 1);
    let (l, t, r, b, radius) = (2 * left, 2 * top, 2 * right, 2 * bottom, 2 * radius);
    if px < l || px > r || py < t || py > b {
        return false;
    }
    let cx = px.clamp(l + radius, r.saturating_sub(radius).max(l + radius));
    let cy = py.clamp(t + radius, b.saturating_sub(radius).max(t + radius));
    let (dx, dy) = (px.abs_diff(cx), py.abs_diff(cy));
    dx * dx + dy * dy <= radius * radius
}

/// The label as a PNG: the same design as [`label_svg`], `320 * scale` by `160 * scale`
/// pixels ([`PRINT_SCALE`] gives 960 x 480), with a white card and rounded navy border
/// (transparent outside the corners), the scheme name, the level as red asterisks, the
/// registration id, and a black-on-white QR code of `product_page_url` with a four-module
/// quiet zone and whole-pixel modules. The PNG's resolution is `100 * scale` dpi, so it prints
/// 81.3 x 40.6 mm at any scale. Text may use A-Z, a-z, 0-9, space and `()-*./`.
pub fn label_png(
    scheme_short_name: &str,
    registration_id: &str,
    level: i64,
    product_page_url: &str,
    scale: u32,
) -> Result<Vec<u8>, ArtworkError> {
    if !(1..=4).contains(&level) {
        return Err(ArtworkError::Level(level));
    }
    let layout = layout(scheme_short_name, registration_id, scale)?;
    let code = qr_code(product_page_url)?;
    let s = layout.scale;
    let mut canvas = Canvas::new(layout.width, layout.height);

    // Card and border: the SVG's 2-unit stroke around a rectangle with 12-unit corners.
    // Straight edges are rectangles; only the four corner squares need the rounding test.
    let (width, height) = (layout.width, layout.height);
    canvas.fill(0, 0, width, height, NAVY);
    canvas.fill(2 * s, 2 * s, width - 4 * s, height - 4 * s, WHITE);
    let outer = (0, 0, width, height);
    let inner = (2 * s, 2 * s, width - 2 * s, height - 2 * s);
    let corner = 13 * s;
    for y in (0..corner).chain(height - corner..height) {
        for x in (0..corner).chain(width - corner..width) {
            canvas.pixels[y * width + x] = if inside_rounded((x, y), inner, 11 * s) {
                WHITE
            } else if inside_rounded((x, y), outer, 13 * s) {
                NAVY
            } else {
                CLEAR
            };
        }
    }

    canvas.text(scheme_short_name, layout.scheme, NAVY);
    let stars = "*".repeat(usize::try_from(level).unwrap_or(1));
    canvas.text(&stars, layout.stars, RED);
    canvas.text(registration_id, layout.id, NAVY);

    // QR code: whole pixels per module, centred in its square, quiet zone painted white.
    let modules = code.width();
    let span = modules + 2 * QR_QUIET_MODULES;
    let side = QR_SIDE * s;
    let module = side / span;
    if module == 0 {
        return Err(ArtworkError::QrTooDense {
            modules: span,
            pixels: side,
            scale,
        });
    }
    let offset = (side - module * span) / 2;
    let (qr_x, qr_y) = (QR_LEFT * s + offset, QR_TOP * s + offset);
    canvas.fill(qr_x, qr_y, module * span, module * span, WHITE);
    let quiet = QR_QUIET_MODULES * module;
    for (index, colour) in code.to_colors().iter().enumerate() {
        if *colour == Color::Dark {
            let (x, y) = (index % modules, index / modules);
            canvas.fill(
                qr_x + quiet + x * module,
                qr_y + quiet + y * module,
                module,
                module,
                BLACK,
            );
        }
    }

    encode_png(
        &canvas,
        scale,
        &format!("{scheme_short_name} level {level} label {registration_id}"),
    )
}

fn encode_png(canvas: &Canvas, scale: u32, title: &str) -> Result<Vec<u8>, ArtworkError> {
    let png_error = |error: png::EncodingError| ArtworkError::Png(error.to_string());
    let too_large = || ArtworkError::Png("the image is too large".into());
    let width = u32::try_from(canvas.width).map_err(|_| too_large())?;
    let height = u32::try_from(canvas.height).map_err(|_| too_large())?;
    // Pixels per metre for 100 dpi per unit of scale, rounded.
    let per_metre = (scale * DPI_PER_SCALE * 10_000 + 127) / 254;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(&PALETTE[..]);
    encoder.set_trns(&TRANSPARENCY[..]);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    encoder
        .add_text_chunk("Title".into(), title.to_owned())
        .map_err(png_error)?;
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&canvas.pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// An image decoded from PNG as opaque grey levels (transparency composited on white), row
/// by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Decodes any PNG (any colour type and bit depth) to grey levels.
pub fn png_to_grey(png_bytes: &[u8]) -> Result<GreyImage, ArtworkError> {
    let rgba = png_to_rgba(png_bytes)?;
    let pixels = rgba
        .pixels
        .iter()
        .map(|[r, g, b, a]| {
            let over_white =
                |c: u8| (u32::from(c) * u32::from(*a) + 255 * (255 - u32::from(*a))) / 255;
            let luma = (299 * over_white(*r) + 587 * over_white(*g) + 114 * over_white(*b)) / 1000;
            u8::try_from(luma).unwrap_or(u8::MAX)
        })
        .collect();
    Ok(GreyImage {
        width: rgba.width,
        height: rgba.height,
        pixels,
    })
}

/// An image decoded from PNG as RGBA pixels, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[u8; 4]>,
}

/// Decodes any PNG (any colour type and bit depth) to 8-bit RGBA.
pub fn png_to_rgba(png_bytes: &[u8]) -> Result<RgbaImage, ArtworkError> {
    let decode_error = |error: png::DecodingError| ArtworkError::Decode(error.to_string());
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(decode_error)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ArtworkError::Decode("the image is too large".into()))?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(decode_error)?;
    let (width, height) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let mut pixels = Vec::with_capacity(width * height);
    for row in buffer.chunks(info.line_size).take(height) {
        for sample in row.chunks(channels).take(width) {
            pixels.push(match *sample {
                [grey] => [grey, grey, grey, 255],
                [grey, alpha] => [grey, grey, grey, alpha],
                [r, g, b] => [r, g, b, 255],
                [r, g, b, a] => [r, g, b, a],
                _ => {
                    return Err(ArtworkError::Decode(format!(
                        "unexpected {channels} samples per pixel"
                    )));
                }
            });
        }
    }
    if pixels.len() != width * height {
        return Err(ArtworkError::Decode("the image data is truncated".into()));
    }
    Ok(RgbaImage {
        width,
        height,
        pixels,
    })
}

/// Finds the QR code in a PNG label and returns its text (the product page URL): for tests,
/// including browser tests of the portal (feature `test-support`).
#[cfg(feature = "test-support")]
pub fn decode_label_qr(png_bytes: &[u8]) -> Result<String, ArtworkError> {
    let grey = png_to_grey(png_bytes)?;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(grey.width, grey.height, |x, y| {
            grey.pixels[y * grey.width + x]
        });
    let grids = prepared.detect_grids();
    let mut failures = Vec::new();
    for grid in &grids {
        match grid.decode() {
            Ok((_, text)) => return Ok(text),
            Err(error) => failures.push(error.to_string()),
        }
    }
    Err(ArtworkError::Decode(if grids.is_empty() {
        "no QR code found".to_owned()
    } else {
        format!("the QR code does not decode: {}", failures.join("; "))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_has_the_level_id_and_a_qr_code() {
        let svg = label_svg(
            "CLS(IoT)",
            "CSA/100329/000001",
            3,
            "https://registry.example/labels/CSA-100329-000001",
        )
        .unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(">***</text>"));
        assert!(!svg.contains(">****</text>"));
        assert!(svg.contains(">CSA/100329/000001</text>"));
        assert!(svg.contains("<path d=\"M"));
        assert_eq!(label_svg("x", "y", 5, "u"), Err(ArtworkError::Level(5)));
        assert_eq!(escape("<a&\"b>"), "&lt;a&amp;&quot;b&gt;");
    }

    const URL: &str = "https://registry.example/labels/CSA-100329-000001";
    const NAVY_RGBA: [u8; 4] = [0x1b, 0x36, 0x5d, 0xff];
    const RED_RGBA: [u8; 4] = [0xc8, 0x10, 0x2e, 0xff];

    /// Bounding boxes (left, top, right, bottom, inclusive) of the 8-connected blobs of
    /// pixels of `colour`.
    fn blobs(image: &RgbaImage, colour: [u8; 4]) -> Vec<(usize, usize, usize, usize)> {
        let (w, h) = (image.width, image.height);
        let mut seen = vec![false; w * h];
        let mut found = Vec::new();
        for start in 0..w * h {
            if seen[start] || image.pixels[start] != colour {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let mut bounds = (usize::MAX, usize::MAX, 0, 0);
            while let Some(index) = stack.pop() {
                let (x, y) = (index % w, index / w);
                bounds = (
                    bounds.0.min(x),
                    bounds.1.min(y),
                    bounds.2.max(x),
                    bounds.3.max(y),
                );
                for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                        let next = ny * w + nx;
                        if !seen[next] && image.pixels[next] == colour {
                            seen[next] = true;
                            stack.push(next);
                        }
                    }
                }
            }
            found.push(bounds);
        }
        found
    }

    /// Reads `count` characters back from the image: each glyph cell is sampled at the centre
    /// of its font pixels and must match exactly one glyph of the font.
    fn read_text(image: &RgbaImage, at: Placement, count: usize, colour: [u8; 4]) -> String {
        let bitmap = |c: char| -> Vec<bool> {
            let mut cells = vec![false; GLYPH_WIDTH * GLYPH_HEIGHT];
            for (row, ink) in artwork_font::glyph(c).unwrap().enumerate() {
                for (column, ink) in ink.enumerate() {
                    cells[row * GLYPH_WIDTH + column] = ink;
                }
            }
            cells
        };
        (0..count)
            .map(|index| {
                let left = at.x + index * ADVANCE * at.px;
                let mut cells = vec![false; GLYPH_WIDTH * GLYPH_HEIGHT];
                for row in 0..GLYPH_HEIGHT {
                    for column in 0..GLYPH_WIDTH {
                        let x = left + column * at.px + at.px / 2;
                        let y = at.y + row * at.px + at.px / 2;
                        cells[row * GLYPH_WIDTH + column] =
                            image.pixels[y * image.width + x] == colour;
                    }
                }
                let matches: Vec<char> = artwork_font::supported_characters()
                    .chars()
                    .filter(|c| bitmap(*c) == cells)
                    .collect();
                assert_eq!(matches.len(), 1, "cell {index}: {matches:?}");
                matches[0]
            })
            .collect()
    }

    #[test]
    fn the_png_has_the_card_text_asterisks_and_a_readable_qr_code() {
        for level in 1..=4 {
            let png = label_png("CLS(IoT)", "CSA/100329/000001", level, URL, PRINT_SCALE).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let image = png_to_rgba(&png).unwrap();
            assert_eq!((image.width, image.height), (960, 480));
            assert_eq!(decode_label_qr(&png).unwrap(), URL);

            // One red blob per asterisk, side by side left of the QR code.
            let stars = blobs(&image, RED_RGBA);
            assert_eq!(stars.len(), usize::try_from(level).unwrap(), "{stars:?}");
            for (left, top, right, bottom) in &stars {
                assert!(*left >= TEXT_LEFT * 3 && *right < QR_LEFT * 3);
                assert!(*top >= 50 * 3 && *bottom < 85 * 3);
            }

            let layout = layout("CLS(IoT)", "CSA/100329/000001", PRINT_SCALE).unwrap();
            assert_eq!(read_text(&image, layout.scheme, 8, NAVY_RGBA), "CLS(IoT)");
            assert_eq!(
                read_text(&image, layout.id, 17, NAVY_RGBA),
                "CSA/100329/000001"
            );
            // The id's capitals are 28 pixels high, 4 pixels per font pixel.
            assert_eq!(layout.id.px, 4);

            // Transparent outside the rounded corners, navy border, white card.
            let at = |x: usize, y: usize| image.pixels[y * image.width + x];
            assert_eq!(at(0, 0)[3], 0);
            assert_eq!(at(959, 479)[3], 0);
            assert_eq!(at(480, 1), NAVY_RGBA);
            assert_eq!(at(1, 240), NAVY_RGBA);
            assert_eq!(at(480, 478), NAVY_RGBA);
            assert_eq!(at(60, 300), [0xff; 4]);
        }
    }

    #[test]
    fn every_scale_decodes_and_prints_at_the_same_size() {
        for scale in [1, 2, MAX_SCALE] {
            let png = label_png("CLS(IoT)", "CSA/100329/000001", 2, URL, scale).unwrap();
            assert_eq!(decode_label_qr(&png).unwrap(), URL, "scale {scale}");
            let image = png_to_rgba(&png).unwrap();
            let s = usize::try_from(scale).unwrap();
            assert_eq!((image.width, image.height), (320 * s, 160 * s));
            assert_eq!(blobs(&image, RED_RGBA).len(), 2, "scale {scale}");
            let reader = png::Decoder::new(std::io::Cursor::new(&png[..]))
                .read_info()
                .unwrap();
            let dims = reader.info().pixel_dims.unwrap();
            assert_eq!(dims.unit, png::Unit::Meter);
            // 320 pixels per scale step at 100 dpi per scale step: 81.3 mm wide.
            let millimetres = image.width as f64 / f64::from(dims.xppu) * 1000.0;
            assert!((millimetres - 81.28).abs() < 0.01, "{millimetres}");
        }
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        let png = |scheme: &str, id: &str, level: i64, url: &str, scale: u32| {
            label_png(scheme, id, level, url, scale).unwrap_err()
        };
        assert_eq!(png("CLS(IoT)", "A", 0, URL, 3), ArtworkError::Level(0));
        assert_eq!(png("CLS(IoT)", "A", 1, URL, 0), ArtworkError::Scale(0));
        assert_eq!(png("CLS(IoT)", "A", 1, URL, 9), ArtworkError::Scale(9));
        let unsupported = png("CLS(IoT)", "CSA#1", 1, URL, 3);
        assert_eq!(
            unsupported,
            ArtworkError::Character {
                text: "CSA#1".into(),
                character: '#'
            }
        );
        assert!(
            unsupported.to_string().contains("ABCDEFGHIJ"),
            "{unsupported}"
        );
        let long = "X".repeat(90);
        assert_eq!(
            png("CLS(IoT)", &long, 1, URL, 3),
            ArtworkError::TooLong {
                text: long.clone(),
                max: 80
            }
        );
        // 1400 bytes need a QR code too fine for 120 pixels, but not for 240.
        let url = format!("https://registry.example/{}", "a".repeat(1400));
        assert!(matches!(
            png("CLS(IoT)", "A", 1, &url, 1),
            ArtworkError::QrTooDense { scale: 1, .. }
        ));
        let fine = label_png("CLS(IoT)", "A", 1, &url, 2).unwrap();
        assert_eq!(decode_label_qr(&fine).unwrap(), url);
    }

    #[test]
    fn reading_a_qr_code_from_a_bad_image_says_why() {
        assert!(matches!(
            decode_label_qr(b"not a png"),
            Err(ArtworkError::Decode(_))
        ));
        let blank = encode_png(&Canvas::new(64, 32), 1, "blank").unwrap();
        assert_eq!(
            decode_label_qr(&blank),
            Err(ArtworkError::Decode("no QR code found".into()))
        );
    }
}
