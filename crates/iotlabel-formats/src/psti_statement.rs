//! The UK PSTI statement of compliance rendered as Markdown and as a standalone HTML page, and
//! the message that lists what a dossier still has to fill before the statement can be made.
//!
//! Every value comes from a dossier and is escaped: Markdown values cannot open links, emphasis
//! or HTML, and HTML values cannot open tags or attributes.

use iotlabel_core::psti_statement::{MissingField, StatementOfCompliance};

/// The title of the document.
pub const TITLE: &str = "Statement of compliance";

/// Shown for an optional field the dossier leaves empty.
const NO_VALUE: &str = "None given";

/// The statement as Markdown: a title, the regime and product, a table of fields and the list of
/// security requirements declared met.
pub fn markdown(statement: &StatementOfCompliance) -> String {
    let mut out = format!("# {TITLE}\n\n");
    out.push_str(&format!(
        "Made under the {} ({}).\n\n",
        markdown_inline(&statement.regime),
        markdown_url(&statement.regime_url)
    ));
    out.push_str(&format!(
        "Product: **{}**, model **{}**.\n\n",
        markdown_inline(&statement.product_name),
        markdown_inline(&statement.model)
    ));
    out.push_str("| Field | Value |\n| --- | --- |\n");
    for field in &statement.fields {
        let value = field
            .value
            .as_deref()
            .map(markdown_cell)
            .unwrap_or_else(|| format!("*{NO_VALUE}*"));
        out.push_str(&format!("| {} | {value} |\n", markdown_cell(&field.label)));
    }
    if !statement.requirements.is_empty() {
        out.push_str("\n## Security requirements met\n\n");
        for requirement in &statement.requirements {
            out.push_str(&format!("- {}\n", markdown_inline(requirement)));
        }
    }
    out
}

/// The statement as a standalone HTML page: no external resources, a small inline stylesheet, a
/// table of fields with row headers, and every value escaped.
pub fn html(statement: &StatementOfCompliance) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{TITLE}: {} ({})</title>\n",
        html_escape(&statement.product_name),
        html_escape(&statement.model)
    ));
    out.push_str(STYLE);
    out.push_str("</head>\n<body>\n<main>\n");
    out.push_str(&format!("<h1>{TITLE}</h1>\n"));
    let regime = html_escape(&statement.regime);
    let regime = match safe_link(&statement.regime_url) {
        Some(href) => format!("<a href=\"{}\">{regime}</a>", html_escape(href)),
        None => format!("{regime} ({})", html_escape(&statement.regime_url)),
    };
    out.push_str(&format!("<p>Made under the {regime}.</p>\n"));
    out.push_str(&format!(
        "<p>Product: <strong>{}</strong>, model <strong>{}</strong>.</p>\n",
        html_escape(&statement.product_name),
        html_escape(&statement.model)
    ));
    out.push_str("<table>\n<tbody>\n");
    for field in &statement.fields {
        let value = match field.value.as_deref() {
            Some(value) => html_multiline(value),
            None => format!("<em>{NO_VALUE}</em>"),
        };
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{value}</td></tr>\n",
            html_escape(&field.label)
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    if !statement.requirements.is_empty() {
        out.push_str("<h2>Security requirements met</h2>\n<ul>\n");
        for requirement in &statement.requirements {
            out.push_str(&format!("<li>{}</li>\n", html_escape(requirement)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// A plain-text message naming each missing field's label and the dossier key to fill, e.g.
/// `psti_statement.signatory_name`. Several lines, without a final line break.
pub fn missing_fields_message(missing: &[MissingField]) -> String {
    if missing.is_empty() {
        return format!(
            "The {} cannot be made, but no missing field was reported: check that the regime is in the rules catalog.",
            TITLE.to_lowercase()
        );
    }
    let count = match missing.len() {
        1 => "1 required field is".to_owned(),
        n => format!("{n} required fields are"),
    };
    let mut out = format!(
        "The {} cannot be made: {count} missing from the dossier.",
        TITLE.to_lowercase()
    );
    for field in missing {
        let fill = if field.key.ends_with(".declaration_confirmed") {
            format!("set {} = true", field.key)
        } else {
            format!("fill {}", field.key)
        };
        out.push_str(&format!("\n  - {}: {fill}", one_line(&field.label)));
    }
    let tables: Vec<&str> = {
        let mut tables: Vec<&str> = missing
            .iter()
            .filter_map(|field| field.key.split_once('.').map(|(table, _)| table))
            .collect();
        tables.sort_unstable();
        tables.dedup();
        tables
    };
    if !tables.is_empty() {
        let tables: Vec<String> = tables.iter().map(|table| format!("[{table}]")).collect();
        out.push_str(&format!(
            "\nEach key names a table and a field of the dossier: add the fields under {}.",
            tables.join(" and ")
        ));
    }
    out
}

const STYLE: &str = "<style>
body { font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #999; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; width: 40%; font-weight: 600; }
@media print { main { margin: 0; max-width: none; } }
</style>
";

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with its line breaks kept as `<br>`.
fn html_multiline(text: &str) -> String {
    text.trim()
        .lines()
        .map(|line| html_escape(line.trim()))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The URL when it is safe to put in an `href`: http or https only.
fn safe_link(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

/// Text for an inline Markdown context: one line, with every character that could start
/// Markdown or HTML syntax backslash-escaped, and a leading block marker neutralised.
fn markdown_inline(text: &str) -> String {
    let text = one_line(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    // A line starting with `-`, `+` or `=` could become a list item or a heading underline, and
    // one starting with `1.` or `1)` an ordered list item: escape the marker.
    if out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    } else {
        let digits = out.chars().take_while(char::is_ascii_digit).count();
        let rest = &out[digits..];
        if (1..=9).contains(&digits)
            && rest.starts_with(['.', ')'])
            && rest[1..].chars().next().is_none_or(char::is_whitespace)
        {
            out.insert(digits, '\\');
        }
    }
    out
}

/// Text for a Markdown table cell: inline-escaped per line, lines joined with `<br>`.
fn markdown_cell(text: &str) -> String {
    text.trim()
        .lines()
        .map(markdown_inline)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("<br>")
}

/// A URL as a Markdown autolink when it is http(s), else as escaped text.
fn markdown_url(url: &str) -> String {
    match safe_link(url) {
        Some(url) if !url.contains(['<', '>', ' ']) => format!("<{url}>"),
        _ => markdown_inline(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotlabel_core::Catalog;
    use iotlabel_core::psti_statement::{FilledField, build};

    fn statement() -> StatementOfCompliance {
        let catalog = Catalog::embedded().unwrap();
        let dossier = crate::oscal::test_support::small_dossier();
        build(&catalog, "uk-psti", &dossier).unwrap()
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!("psti_statement_markdown", markdown(&statement()));
    }

    #[test]
    fn html_is_a_standalone_page() {
        let page = html(&statement());
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.contains("<style>"));
        assert!(page.contains("<th scope=\"row\">Product type</th><td>Wi-Fi router</td>"));
        assert!(page.contains("<a href=\"https://www.legislation.gov.uk/uksi/2023/1007\">"));
        assert!(!page.contains("<script"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("src="));
        assert!(page.contains("<h1>Statement of compliance</h1>"));
    }

    #[test]
    fn html_escapes_every_value() {
        let mut statement = statement();
        statement.product_name = "<script>alert(1)</script>".into();
        statement.regime_url = "javascript:alert(1)".into();
        statement.fields.push(FilledField {
            id: "x".into(),
            label: "Label \"quoted\" & <b>bold</b>".into(),
            value: Some("<script>alert('x')</script>".into()),
        });
        statement
            .requirements
            .push("<img src=x onerror=alert(1)>".into());
        let page = html(&statement);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("href=\"javascript"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(page.contains("Label &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;"));
    }

    #[test]
    fn markdown_escapes_values() {
        let mut statement = statement();
        statement.product_name = "*Router* <script>x</script> [link](http://x)".into();
        statement.fields.push(FilledField {
            id: "x".into(),
            label: "Pipe | label".into(),
            value: Some("line one\n- line two".into()),
        });
        statement.requirements.push("1. Not a list".into());
        let text = markdown(&statement);
        assert!(
            text.contains(r"\*Router\* \<script\>x\</script\> \[link\](http://x)"),
            "{text}"
        );
        assert!(
            text.contains(r"| Pipe \| label | line one<br>\- line two |"),
            "{text}"
        );
        assert!(text.contains(r"- 1\. Not a list"), "{text}");
    }

    #[test]
    fn missing_fields_name_label_and_key() {
        let catalog = Catalog::embedded().unwrap();
        let mut dossier = crate::oscal::test_support::small_dossier();
        if let Some(statement) = dossier.psti_statement.as_mut() {
            statement.signatory_name = None;
            statement.declaration_confirmed = Some(false);
        }
        let missing = build(&catalog, "uk-psti", &dossier).unwrap_err();
        let message = missing_fields_message(&missing);
        assert!(
            message.contains("2 required fields are missing"),
            "{message}"
        );
        assert!(
            message.contains("Name of the signatory: fill psti_statement.signatory_name"),
            "{message}"
        );
        assert!(
            message.contains("set psti_statement.declaration_confirmed = true"),
            "{message}"
        );
        assert!(message.contains("[psti_statement]"), "{message}");
        assert!(missing_fields_message(&[]).contains("no missing field"));
        insta::assert_snapshot!("psti_missing_fields_message", message);
    }
}
