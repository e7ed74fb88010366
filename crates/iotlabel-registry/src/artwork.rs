//! Label artwork as SVG: the scheme's short name, the level as one to four asterisks, the
//! registration id, and a QR code holding only the short URL of the public product page.
//! The QR code is encoded by the `qrcode` crate; its modules are drawn here as one SVG path so
//! the whole label is a single self-contained document with no fonts or images to fetch.

use qrcode::{Color, EcLevel, QrCode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArtworkError {
    #[error("the URL does not fit in a QR code: {0}")]
    Qr(String),
    #[error("level {0} is not 1 to 4")]
    Level(i64),
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The QR code's dark modules as one SVG path (one unit per module), and its width.
fn qr_path(url: &str) -> Result<(String, usize), ArtworkError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|error| ArtworkError::Qr(error.to_string()))?;
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
}
