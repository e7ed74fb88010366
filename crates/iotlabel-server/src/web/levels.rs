//! What the levels mean and which arrangements recognise them, generated from the catalog
//! (the same rules the engine applies), so the page never drifts from the rules.

use axum::extract::State;
use axum::response::Response;
use iotlabel_core::catalog::recognition::Direction;
use iotlabel_core::catalog::scheme::Reviewer;
use maud::html;

use super::{Viewer, asterisks, render};
use crate::AppState;

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let catalog = state.registry.catalog();
    let today = state.registry.clock().today();
    let body = html! {
        h1 { "Levels and recognition" }
        @for scheme in &catalog.schemes {
            section.card {
                h2 #(format!("scheme-{}", scheme.id)) { (scheme.name) }
                p { "Run by " (scheme.owner) ". Rules: " (scheme.specification.document) " version "
                    (scheme.specification.version) ", built on " (scheme.specification.standard) ". "
                    "A label is valid for at most " (scheme.label.max_validity_years) " years ("
                    (scheme.label.validity_rule) ")." }
                @for level in &scheme.levels {
                    h3 #(format!("{}-level-{}", scheme.id, level.level)) {
                        (asterisks(i64::from(level.level))) " Level " (level.level) ": " (level.name)
                    }
                    p { (level.summary) }
                    @let reviews: Vec<_> = scheme.reviews_for(level.level, today).collect();
                    @if !reviews.is_empty() {
                        p { strong { "Who checks: " }
                            @for review in &reviews {
                                (match review.reviewer { Reviewer::SchemeOwner => "the scheme owner", Reviewer::ApprovedLab => "an approved test lab" })
                                " (" (review.summary) "). "
                            }
                        }
                    }
                    @if !level.requirements.is_empty() {
                        ul {
                            @for requirement in &level.requirements {
                                li {
                                    (requirement.summary)
                                    @if let Some(from) = requirement.from { " (from " (from) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Recognition with other countries" }
        p { "Arrangements in effect today (" (today) ") and past ones, from the scheme's published agreements." }
        @for partner in &catalog.partners {
            section.card {
                h3 { (partner.name) " (" (partner.country) ")" }
                ul {
                    @for arrangement in catalog.arrangements.iter().filter(|arrangement| arrangement.partner == partner.id) {
                        li data-arrangement=(arrangement.id) {
                            strong {
                                (match arrangement.direction {
                                    Direction::Inbound => "Into the scheme: ",
                                    Direction::Outbound => "From the scheme: ",
                                })
                            }
                            (arrangement.grants)
                            @if !arrangement.cls_levels.is_empty() {
                                " (levels "
                                (arrangement.cls_levels.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))
                                ")"
                            }
                            ". "
                            "From " (arrangement.effective_from)
                            @if let Some(until) = arrangement.effective_until { " until " (until) }
                            @if arrangement.in_effect(today) { "; in effect." } @else { "; not in effect today." }
                            @if let Some(note) = &arrangement.scope_note { " " span.muted { (note) } }
                            @if !arrangement.excluded_categories.is_empty() {
                                " Not for: "
                                (arrangement.excluded_categories.iter()
                                    .map(|id| catalog.category(id).map_or_else(|| id.clone(), |category| category.name.clone()))
                                    .collect::<Vec<_>>().join(", "))
                                "."
                            }
                        }
                    }
                }
            }
        }
    };
    render(&viewer, "Levels and recognition", body)
}
