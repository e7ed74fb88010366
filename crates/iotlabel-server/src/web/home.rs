//! The home page: what the registry is, a search box, and where to go next.

use axum::response::Response;
use maud::html;

use super::{Viewer, render};

pub async fn page(viewer: Viewer) -> Response {
    let body = html! {
        h1 { "Check a product's cybersecurity label" }
        p { "Every labelled product is listed here with its level, whether the label is still valid, "
            "how long the manufacturer will provide security updates, and where to report a vulnerability." }
        form.card method="get" action="/registry" role="search" {
            label for="home-q" { "Product, manufacturer, model or label number" }
            input #home-q type="search" name="q" autocomplete="off";
            div.form-actions { button.primary type="submit" { "Search the registry" } }
        }
        h2 { "More" }
        ul {
            li { a href="/levels" { "What the levels mean, and which other countries recognise them" } }
            li { a href="/statistics" { "Statistics: applications and labels over time" } }
            li { a href="/signin" { "Sign in" } " (manufacturers, test labs, assessors)" }
        }
    };
    render(&viewer, "Cybersecurity labels", body)
}
