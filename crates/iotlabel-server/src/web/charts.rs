//! Bar charts drawn as SVG on the server (no script, no chart library): one horizontal bar
//! per category, its length proportional to the count, the count printed beside it, and the
//! same numbers in a table for screen readers and for copying.

use maud::{Markup, html};

const WIDTH: i64 = 640;
const LABEL_WIDTH: i64 = 190;
const COUNT_WIDTH: i64 = 60;
const BAR_HEIGHT: i64 = 22;
const ROW_HEIGHT: i64 = 30;
const TOP: i64 = 10;

/// The length in chart units of a bar of `count` when the largest bar is `max`.
pub fn bar_length(count: i64, max: i64) -> i64 {
    let span = WIDTH - LABEL_WIDTH - COUNT_WIDTH;
    if max <= 0 || count <= 0 {
        0
    } else {
        // At least one unit so a non-zero count is never invisible.
        ((count * span) / max).max(1)
    }
}

/// A labelled horizontal bar chart of `bars` (label, count), with `id` for ARIA references.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, i64)]) -> Markup {
    let max = bars.iter().map(|(_, count)| *count).max().unwrap_or(0);
    let rows = i64::try_from(bars.len()).unwrap_or(0);
    let height = TOP * 2 + rows.max(1) * ROW_HEIGHT;
    let title_id = format!("{id}-title");
    html! {
        figure.chart-figure {
            svg.chart #(id) xmlns="http://www.w3.org/2000/svg" role="img"
                aria-labelledby=(title_id) width=(WIDTH) height=(height)
                viewBox=(format!("0 0 {WIDTH} {height}")) {
                title #(title_id) { (title) }
                @if bars.is_empty() {
                    text x="10" y=(TOP + 20) font-size="14" fill="#333" { "No data yet" }
                }
                @for (index, (label, count)) in bars.iter().enumerate() {
                    @let y = TOP + i64::try_from(index).unwrap_or(0) * ROW_HEIGHT;
                    @let length = bar_length(*count, max);
                    g.bar data-label=(label) data-count=(count) {
                        text x=(LABEL_WIDTH - 8) y=(y + 16) text-anchor="end" font-size="13" fill="#1a1a1a" { (label) }
                        rect x=(LABEL_WIDTH) y=(y) width=(length) height=(BAR_HEIGHT) fill="#1b5fa8" {}
                        text x=(LABEL_WIDTH + length + 6) y=(y + 16) font-size="13" fill="#1a1a1a" { (count) }
                    }
                }
            }
            figcaption {
                details {
                    summary { (title) ": the numbers" }
                    table {
                        thead { tr { th scope="col" { "" } th scope="col" { "Count" } } }
                        tbody {
                            @for (label, count) in bars {
                                tr { th scope="row" { (label) } td { (count) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_carry_their_counts() {
        let bars = vec![
            ("Level 1".to_owned(), 40),
            ("Level 2".to_owned(), 10),
            ("Level 3".to_owned(), 0),
        ];
        let svg = bar_chart("levels", "Labels by level", &bars).into_string();
        assert!(
            svg.contains(r#"data-label="Level 1" data-count="40""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"data-label="Level 2" data-count="10""#),
            "{svg}"
        );
        let span = WIDTH - LABEL_WIDTH - COUNT_WIDTH;
        assert!(svg.contains(&format!(r#"width="{span}""#)));
        assert!(svg.contains(&format!(r#"width="{}""#, span / 4)));
        assert_eq!(bar_length(0, 40), 0);
        assert_eq!(bar_length(1, 1_000_000), 1);
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = bar_chart("empty", "Nothing", &[]).into_string();
        assert!(svg.contains("No data yet"));
    }
}
