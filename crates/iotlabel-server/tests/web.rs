//! The portal's pages in process (no browser): what each public page shows, status words,
//! filters and CSV, the charts' numbers, sign-in with CSRF, and the HTML error pages.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/tar.rs"]
mod tar;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use iotlabel_registry::Store;
use iotlabel_registry::demo::{DEMO_PASSWORD, DemoSummary, load_demo};
use tower::ServiceExt;

use common::{TestServer, sqlite_server};

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

async fn get(server: &TestServer, uri: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::builder().uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    send(server, request.body(Body::empty()).unwrap()).await
}

async fn send(server: &TestServer, request: Request<Body>) -> Page {
    let response = server.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn demo_server() -> (TestServer, DemoSummary) {
    let server = sqlite_server().await;
    let summary = load_demo(&server.state.registry).await.unwrap();
    (server, summary)
}

/// A demo label that is valid today.
async fn valid_label(
    server: &TestServer,
    summary: &DemoSummary,
) -> iotlabel_registry::service::PublicLabel {
    for id in &summary.labels {
        let label = server.state.registry.lookup_label(id).await.unwrap();
        if label.status == "valid" {
            return label;
        }
    }
    panic!("the demo has no valid label")
}

fn url_form(registration_id: &str) -> String {
    iotlabel_core::label_id::to_url_form(registration_id)
}

#[tokio::test]
async fn the_product_page_shows_level_status_validity_and_downloads() {
    let (server, summary) = demo_server().await;
    let label = valid_label(&server, &summary).await;
    let id = &label.registration_id;
    let page = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let text = &page.text;
    assert!(text.contains(&label.product.name), "{text}");
    assert!(text.contains(&format!("Level {} of 4", label.level)));
    assert!(text.contains(&"*".repeat(usize::try_from(label.level).unwrap())));
    assert!(text.contains("Label status: Valid"));
    assert!(text.contains(&label.valid_until));
    assert!(text.contains("Security updates until"));
    assert!(text.contains(&format!("/api/labels/{}/artwork.svg", label.url_id)));
    assert!(text.contains(&format!("/api/labels/{}/credential", label.url_id)));
    assert!(!text.contains("<script"), "pages carry no script");

    // The short link accepts the registration id as printed and redirects to the page.
    let short = get(&server, &format!("/l/{id}"), None).await;
    assert_eq!(short.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        short.headers[header::LOCATION],
        format!("/labels/{}", label.url_id).as_str()
    );

    // The OSCAL download is the assessment the label was issued on.
    let oscal = get(
        &server,
        &format!("/labels/{}/assessment.oscal.json", label.url_id),
        None,
    )
    .await;
    assert_eq!(oscal.status, StatusCode::OK);
    let document: serde_json::Value = serde_json::from_str(&oscal.text).unwrap();
    assert!(
        document["assessment-results"]["results"][0]["findings"]
            .as_array()
            .is_some_and(|findings| !findings.is_empty())
    );
    server.finish().await;
}

#[tokio::test]
async fn suspended_revoked_and_expired_labels_say_so_in_words() {
    let (server, summary) = demo_server().await;
    let suspended = summary.suspended.clone().unwrap();
    let page = get(&server, &format!("/labels/{}", url_form(&suspended)), None).await;
    assert!(
        page.text.contains("Label status: Suspended"),
        "{}",
        page.text
    );
    assert!(page.text.contains("status-suspended"));
    let label = server
        .state
        .registry
        .lookup_label(&suspended)
        .await
        .unwrap();
    assert!(
        page.text
            .contains(label.suspension_reason.as_deref().unwrap())
    );

    let revoked = summary.revoked.clone().unwrap();
    let page = get(&server, &format!("/labels/{}", url_form(&revoked)), None).await;
    assert!(page.text.contains("Label status: Revoked"));

    // Move the registry's clock past a label's end: the page says expired, live.
    let valid = valid_label(&server, &summary).await;
    let until: iotlabel_core::Date = valid.valid_until.parse().unwrap();
    server
        .state
        .registry
        .clock()
        .set(iotlabel_registry::service::unix_at(until) + 2 * 86_400);
    let page = get(&server, &format!("/labels/{}", valid.url_id), None).await;
    assert!(page.text.contains("Label status: Expired"), "{}", page.text);
    server.finish().await;
}

#[tokio::test]
async fn unknown_pages_and_labels_are_html_404s_and_api_paths_stay_json() {
    let (server, _) = demo_server().await;
    let page = get(&server, "/labels/CLS-0000-000000-1", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("Page not found"));
    let page = get(&server, "/no/such/page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.text.contains("<!DOCTYPE html>"));
    let api = get(&server, "/api/no-such-thing", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.text.starts_with('{'), "{}", api.text);
    server.finish().await;
}

#[tokio::test]
async fn search_filters_paginate_and_the_csv_matches_the_view() {
    let (server, summary) = demo_server().await;
    let page = get(&server, "/registry", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let total = server
        .state
        .registry
        .search_labels(&Default::default())
        .await
        .unwrap()
        .total;
    assert!(
        page.text.contains(&format!("{total} labels found")),
        "{}",
        page.text
    );

    let page = get(&server, "/registry?status=suspended&level=&category=", None).await;
    assert!(page.text.contains("1 label found"), "{}", page.text);
    let suspended = server
        .state
        .registry
        .lookup_label(summary.suspended.as_deref().unwrap())
        .await
        .unwrap();
    assert!(page.text.contains(&suspended.product.name));

    let csv = get(&server, "/registry.csv?status=suspended", None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines.len(), 2, "header and one row: {}", csv.text);
    assert!(lines[1].starts_with(&suspended.registration_id));

    let all = get(&server, "/registry.csv", None).await;
    assert_eq!(
        all.text.lines().count(),
        usize::try_from(total).unwrap() + 1
    );
    server.finish().await;
}

#[tokio::test]
async fn the_statistics_charts_draw_the_counts() {
    let (server, _) = demo_server().await;
    let statistics = server.state.registry.statistics().await.unwrap();
    let page = get(&server, "/statistics", None).await;
    assert_eq!(page.status, StatusCode::OK);
    for (level, count) in &statistics.labels_awarded.by_level {
        let bar = format!(r#"data-label="Level {level}" data-count="{count}""#);
        assert!(page.text.contains(&bar), "missing {bar}");
    }
    for (status, count) in &statistics.labels_by_status {
        let words = match status.as_str() {
            "valid" => "Valid",
            "suspended" => "Suspended",
            "revoked" => "Revoked",
            _ => "Expired",
        };
        assert!(
            page.text
                .contains(&format!(r#"data-label="{words}" data-count="{count}""#))
        );
    }
    assert!(page.text.contains(&format!(
        "{} applications received",
        statistics.applications_received.total
    )));
    server.finish().await;
}

#[tokio::test]
async fn the_levels_page_comes_from_the_catalog() {
    let (server, _) = demo_server().await;
    let page = get(&server, "/levels", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let catalog = server.state.registry.catalog();
    for scheme in &catalog.schemes {
        for level in &scheme.levels {
            assert!(page.text.contains(&level.name), "level {}", level.name);
        }
    }
    for arrangement in &catalog.arrangements {
        assert!(
            page.text
                .contains(&format!(r#"data-arrangement="{}""#, arrangement.id)),
            "arrangement {}",
            arrangement.id
        );
    }
    server.finish().await;
}

fn set_cookies(page: &Page) -> Vec<String> {
    page.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|cookie| {
        let pair = cookie.split(';').next()?;
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

fn hidden_csrf(text: &str) -> String {
    let start = text.find(r#"name="csrf_token" value=""#).unwrap() + 25;
    text[start..start + text[start..].find('"').unwrap()].to_owned()
}

fn form_post(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Signs in through the form; returns the session cookie header value.
async fn sign_in(server: &TestServer, email: &str, password: &str) -> String {
    let form = get(server, "/signin", None).await;
    let token = hidden_csrf(&form.text);
    let login_cookie = cookie_value(&set_cookies(&form), "iotlabel_login_csrf").unwrap();
    let body = format!(
        "csrf_token={token}&email={}&password={}",
        iotlabel_test_encode(email),
        iotlabel_test_encode(password)
    );
    let response = send(
        server,
        form_post(
            "/signin",
            &format!("iotlabel_login_csrf={login_cookie}"),
            &body,
        ),
    )
    .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text);
    let session = cookie_value(&set_cookies(&response), "iotlabel_session").unwrap();
    format!("iotlabel_session={session}")
}

fn iotlabel_test_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn sign_in_needs_the_forms_token_and_sign_out_needs_the_sessions() {
    let (server, summary) = demo_server().await;
    let email = summary
        .accounts
        .iter()
        .find(|email| email.contains("assessor"))
        .unwrap()
        .clone();

    // A post without the double-submit cookie (a cross-site form) is refused.
    let forged = send(
        &server,
        form_post(
            "/signin",
            "",
            &format!(
                "csrf_token=abc&email={}&password={}",
                iotlabel_test_encode(&email),
                iotlabel_test_encode(DEMO_PASSWORD)
            ),
        ),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(cookie_value(&set_cookies(&forged), "iotlabel_session").is_none());

    // A wrong password shows the form again with the problem, keeping the e-mail.
    let form = get(&server, "/signin", None).await;
    let login_cookie = cookie_value(&set_cookies(&form), "iotlabel_login_csrf").unwrap();
    let wrong = send(
        &server,
        form_post(
            "/signin",
            &format!("iotlabel_login_csrf={login_cookie}"),
            &format!(
                "csrf_token={}&email={}&password=nope",
                hidden_csrf(&form.text),
                iotlabel_test_encode(&email)
            ),
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("Wrong e-mail or password."));
    assert!(wrong.text.contains(&email));

    let session = sign_in(&server, &email, DEMO_PASSWORD).await;
    let home = get(&server, "/", Some(&session)).await;
    assert!(home.text.contains("Sign out"));
    // Sign-out without the session's token is refused; with it, the session ends.
    let refused = send(&server, form_post("/signout", &session, "csrf_token=wrong")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let token = hidden_csrf(&home.text);
    let out = send(
        &server,
        form_post("/signout", &session, &format!("csrf_token={token}")),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = get(&server, "/", Some(&session)).await;
    assert!(after.text.contains("Your session has ended"));
    server.finish().await;
}

/// Posts a form as a signed-in user, echoing the CSRF token of `page_text`.
async fn post_form(
    server: &TestServer,
    session: &str,
    uri: &str,
    page_text: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut body = format!("csrf_token={}", hidden_csrf(page_text));
    for (key, value) in fields {
        body.push_str(&format!("&{key}={}", iotlabel_test_encode(value)));
    }
    send(server, form_post(uri, session, &body)).await
}

fn location(page: &Page) -> String {
    page.headers[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_whole_story_through_the_forms() {
    let server = sqlite_server().await;
    let _people = server.people().await;
    let password = "a long password";
    let maker = sign_in(&server, "maker@example.com", password).await;
    let lab = sign_in(&server, "lab@example.com", password).await;
    let assessor = sign_in(&server, "assessor@example.com", password).await;

    // The manufacturer starts a draft from its dossier and sees the gap to level 2.
    let form = get(&server, "/applications/new", Some(&maker)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let created = post_form(
        &server,
        &maker,
        "/applications/import",
        &form.text,
        &[
            ("dossier", common::WIFI_ROUTER),
            ("lab", "Example Test Lab Pte Ltd"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let application = location(&created);
    let page = get(&server, &application, Some(&maker)).await;
    assert!(
        set_cookies(&created)
            .iter()
            .any(|cookie| cookie.starts_with("iotlabel_flash=Draft%20created"))
    );
    // The flash message shows once on the next page.
    let flashed = get(
        &server,
        &application,
        Some(&format!(
            "{maker}; iotlabel_flash=Draft%20created%20and%20assessed."
        )),
    )
    .await;
    assert!(
        flashed
            .text
            .contains(r#"<div class="flash" role="status">Draft created and assessed.</div>"#)
    );
    assert!(page.text.contains("Level 2 is met."), "{}", page.text);

    // A forged post (no token) changes nothing.
    let forged = send(
        &server,
        form_post(&format!("{application}/actions/send-to-lab"), &maker, ""),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let step = async |session: &str, action: &str, reason: Option<&str>| {
        let page = get(&server, &application, Some(session)).await;
        assert!(
            page.text.contains(&format!(r#"data-action="{action}""#)),
            "{action} not offered: {}",
            page.text
        );
        let fields: Vec<(&str, &str)> = reason
            .map(|reason| ("reason", reason))
            .into_iter()
            .collect();
        let done = post_form(
            &server,
            session,
            &format!("{application}/actions/{action}"),
            &page.text,
            &fields,
        )
        .await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{action}: {}",
            done.text
        );
        get(&server, &application, Some(session)).await
    };
    step(&maker, "send-to-lab", None).await;
    // The lab may not approve: the button is not there, and a post is refused.
    let lab_page = get(&server, &application, Some(&lab)).await;
    assert!(!lab_page.text.contains(r#"data-action="approve""#));
    let refused = post_form(
        &server,
        &lab,
        &format!("{application}/actions/approve"),
        &lab_page.text,
        &[],
    )
    .await;
    assert!(refused.status == StatusCode::CONFLICT || refused.status == StatusCode::FORBIDDEN);
    step(&lab, "hand-off", None).await;
    step(&assessor, "start-assessment", None).await;
    let page = step(
        &assessor,
        "request-changes",
        Some("Attach the support policy"),
    )
    .await;
    assert!(page.text.contains("Attach the support policy"));
    step(&maker, "resubmit", None).await;
    step(&assessor, "start-assessment", None).await;
    let approved = step(&assessor, "approve", None).await;
    assert!(approved.text.contains("label"), "{}", approved.text);

    // The public page shows the label; the assessor suspends it; the public page says so.
    let labels = server
        .state
        .registry
        .search_labels(&Default::default())
        .await
        .unwrap();
    let label = &labels.labels[0];
    let public = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert!(public.text.contains("Label status: Valid"));
    assert!(
        !public.text.contains("Label actions"),
        "the public sees no actions"
    );
    let as_assessor = get(
        &server,
        &format!("/labels/{}", label.url_id),
        Some(&assessor),
    )
    .await;
    let suspended = post_form(
        &server,
        &assessor,
        &format!("/labels/{}/actions/suspend", label.url_id),
        &as_assessor.text,
        &[("reason", "Unresolved vulnerability report")],
    )
    .await;
    assert_eq!(
        suspended.status,
        StatusCode::SEE_OTHER,
        "{}",
        suspended.text
    );
    let public = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert!(public.text.contains("Label status: Suspended"));
    assert!(public.text.contains("Unresolved vulnerability report"));

    // A manufacturer cannot suspend labels.
    let refused = post_form(
        &server,
        &maker,
        &format!("/labels/{}/actions/revoke", label.url_id),
        &get(&server, "/", Some(&maker)).await.text,
        &[("reason", "no")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    server.finish().await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_a_413_page_and_nothing_is_stored() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = common::draft(&server, &people).await;
    let maker = sign_in(&server, "maker@example.com", "a long password").await;
    let page = get(&server, &format!("/applications/{id}"), Some(&maker)).await;
    let token = hidden_csrf(&page.text);
    let boundary = "XBOUNDARY";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(
        b'a',
        common::EVIDENCE_LIMIT + 100 * 1024,
    ));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let request = Request::builder()
        .method("POST")
        .uri(format!("/applications/{id}/evidence?csrf_token={token}"))
        .header(header::COOKIE, &maker)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let response = send(&server, request).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response.text.contains("File too large"),
        "{}",
        response.text
    );
    let evidence = server
        .state
        .registry
        .evidence_of(&people.maker_actor, id)
        .await
        .unwrap();
    assert!(evidence.is_empty());
    server.finish().await;
}

/// The `name` attributes of the radio groups on the provisions page: the provisions asked.
fn provisions_asked(text: &str) -> Vec<String> {
    let mut asked: Vec<String> = text
        .match_indices(r#"name="status."#)
        .map(|(at, _)| {
            let rest = &text[at + 13..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect();
    asked.dedup();
    asked
}

#[tokio::test]
async fn the_guided_application_asks_only_what_applies_and_shows_the_gap() {
    let server = sqlite_server().await;
    let _people = server.people().await;
    let maker = sign_in(&server, "maker@example.com", "a long password").await;
    let form = get(&server, "/applications/new", Some(&maker)).await;
    assert_eq!(form.status, StatusCode::OK);
    // Step 1: product and target.
    let created = post_form(
        &server,
        &maker,
        "/applications/new",
        &form.text,
        &[
            ("name", "Home Camera"),
            ("model", "HC-1"),
            ("category", "wifi-router"),
            ("support_period_end", "2030-01-31"),
            (
                "vulnerability_disclosure_url",
                "https://example.com/security",
            ),
            ("level", "2"),
            ("route", "standard"),
            ("lab", "Example Test Lab Pte Ltd"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let ics_path = location(&created);
    assert!(ics_path.ends_with("/ics"));
    let base = ics_path.trim_end_matches("/ics").to_owned();

    // Step 2: the questionnaire, preset from the category; untick every feature.
    let ics = get(&server, &ics_path, Some(&maker)).await;
    assert!(ics.text.contains(r#"name="feature""#));
    let saved = post_form(&server, &maker, &ics_path, &ics.text, &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);

    // Step 3: with no features, provisions gated on a feature are not asked.
    let provisions = get(&server, &format!("{base}/provisions"), Some(&maker)).await;
    assert_eq!(provisions.status, StatusCode::OK, "{}", provisions.text);
    let without = provisions_asked(&provisions.text);
    assert!(
        !without.contains(&"5.1-1".to_owned()),
        "5.1-1 needs feature a: {without:?}"
    );
    assert!(without.contains(&"5.2-1".to_owned()), "{without:?}");
    assert!(!without.contains(&"5.0-1".to_owned()), "5.0-1 is derived");
    assert!(
        provisions.text.contains("block level 2"),
        "the gap is shown"
    );

    // Tick feature a: 5.1-1 now applies.
    let ics = get(&server, &ics_path, Some(&maker)).await;
    post_form(&server, &maker, &ics_path, &ics.text, &[("feature", "a")]).await;
    let provisions = get(&server, &format!("{base}/provisions"), Some(&maker)).await;
    let with_a = provisions_asked(&provisions.text);
    assert!(with_a.contains(&"5.1-1".to_owned()), "{with_a:?}");

    // Declare everything supported: the gap closes to what only evidence can close.
    let mut fields: Vec<(String, String)> = Vec::new();
    for provision in &with_a {
        fields.push((format!("status.{provision}"), "supported".into()));
        fields.push((
            format!("text.{provision}"),
            format!("How {provision} is met."),
        ));
    }
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let saved = post_form(
        &server,
        &maker,
        &format!("{base}/provisions"),
        &provisions.text,
        &borrowed,
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let after = get(&server, &format!("{base}/provisions"), Some(&maker)).await;
    assert!(after.text.contains("How 5.1-1 is met."), "answers are kept");
    let id: i64 = base.rsplit('/').next().unwrap().parse().unwrap();
    let record = server
        .state
        .registry
        .get_application(&_people.maker_actor, id)
        .await
        .unwrap();
    let dossier: iotlabel_core::Dossier =
        serde_json::from_str(&record.content.dossier_json).unwrap();
    assert_eq!(dossier.declarations.len(), with_a.len());
    assert_eq!(dossier.product.manufacturer, "Example Networks Pte Ltd");

    // Evidence naming a file that was never uploaded is refused with the fix.
    let refused = post_form(
        &server,
        &maker,
        &format!("{base}/provisions"),
        &after.text,
        &[
            ("status.5.2-1", "supported"),
            ("evidence.5.2-1", "policy.pdf"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text
            .contains("Upload it on the application page first")
    );

    // A test lab cannot use the manufacturer's forms.
    let lab = sign_in(&server, "lab@example.com", "a long password").await;
    let page = get(&server, "/applications/new", Some(&lab)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    server.finish().await;
}

#[tokio::test]
async fn the_transparency_log_page_lists_every_entry_newest_first() {
    let (server, _) = demo_server().await;
    let size = server.state.registry.store().log_size().await.unwrap();
    assert!(size > 0);
    let page = get(&server, "/transparency-log", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text
            .contains(&format!(r#"<dd id="log-size">{size}</dd>"#))
    );
    let newest = page
        .text
        .find(&format!("/api/log/proof/{}", size - 1))
        .unwrap();
    if size > 1 {
        let older = page
            .text
            .find(&format!("/api/log/proof/{}", size - 2))
            .unwrap();
        assert!(newest < older, "newest first");
    }
    server.finish().await;
}

#[tokio::test]
async fn a_vulnerability_report_is_stored_acknowledged_routed_and_flags_when_overdue() {
    let (server, summary) = demo_server().await;
    let label = valid_label(&server, &summary).await;
    let form_path = format!("/labels/{}/report", label.url_id);
    let form = get(&server, &form_path, None).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    let report_cookie = cookie_value(&set_cookies(&form), "iotlabel_report_csrf").unwrap();
    let cookie = format!("iotlabel_report_csrf={report_cookie}");

    // A bad field keeps everything typed and names the problem.
    let long = "x".repeat(300);
    let refused = send(
        &server,
        form_post(
            &form_path,
            &cookie,
            &format!(
                "csrf_token={}&summary={long}&details=Steps%20to%20reproduce",
                hidden_csrf(&form.text)
            ),
        ),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("Steps to reproduce"),
        "the details are kept"
    );

    let sent = send(
        &server,
        form_post(
            &form_path,
            &cookie,
            &format!(
                "csrf_token={}&summary=Telnet%20open%20with%20a%20default%20password&details=Port%2023%20accepts%20admin%3Aadmin&reporter_name=Ann&reporter_email=ann%40example.org",
                hidden_csrf(&form.text)
            ),
        ),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    let start = sent.text.find(r#"id="report-reference">"#).unwrap() + 22;
    let reference = sent.text[start..start + sent.text[start..].find('<').unwrap()].to_owned();
    assert!(reference.starts_with("VR-"), "{reference}");

    // Routed: the manufacturer and the assessor see it; the reporter's e-mail is not public.
    let maker_email = summary
        .accounts
        .iter()
        .find(|email| email.contains("example-networks") || email.starts_with("maker"))
        .cloned();
    let assessor_email = summary
        .accounts
        .iter()
        .find(|email| email.contains("assessor"))
        .unwrap()
        .clone();
    let assessor = sign_in(&server, &assessor_email, DEMO_PASSWORD).await;
    let list = get(&server, "/vulnerability-reports", Some(&assessor)).await;
    assert!(list.text.contains(&reference), "{}", list.text);
    let detail = get(
        &server,
        &format!("/vulnerability-reports/{reference}"),
        Some(&assessor),
    )
    .await;
    assert!(detail.text.contains("ann@example.org"));
    if let Some(maker_email) = maker_email {
        let maker = sign_in(&server, &maker_email, DEMO_PASSWORD).await;
        let page = get(&server, "/vulnerability-reports", Some(&maker)).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let public = get(&server, "/vulnerability-reports", None).await;
    assert_eq!(public.status, StatusCode::UNAUTHORIZED);
    let product = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert!(!product.text.contains("ann@example.org"));

    // Past the deadline with no answer, the label is flagged for suspension.
    let now = server.state.registry.clock().now();
    server.state.registry.clock().set(now + 91 * 86_400);
    // (Sessions last hours: sign in again on the later day.)
    let assessor = sign_in(&server, &assessor_email, DEMO_PASSWORD).await;
    let list = get(&server, "/vulnerability-reports", Some(&assessor)).await;
    assert!(
        list.text.contains(r#"id="flagged-labels""#),
        "{}",
        list.text
    );
    assert!(list.text.contains("(overdue)"));
    // Resolving it clears the flag.
    let detail = get(
        &server,
        &format!("/vulnerability-reports/{reference}"),
        Some(&assessor),
    )
    .await;
    let acknowledged = post_form(
        &server,
        &assessor,
        &format!("/vulnerability-reports/{reference}/status"),
        &detail.text,
        &[("status", "acknowledged"), ("note", "Passed to the vendor")],
    )
    .await;
    assert_eq!(
        acknowledged.status,
        StatusCode::SEE_OTHER,
        "{}",
        acknowledged.text
    );
    let resolved = post_form(
        &server,
        &assessor,
        &format!("/vulnerability-reports/{reference}/status"),
        &detail.text,
        &[("status", "resolved"), ("note", "Fixed in 1.4.3")],
    )
    .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.text);
    let list = get(&server, "/vulnerability-reports", Some(&assessor)).await;
    assert!(!list.text.contains(r#"id="flagged-labels""#));
    server.finish().await;
}

#[tokio::test]
async fn the_diff_between_submissions_shows_what_the_manufacturer_changed() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = common::under_assessment(&server, &people).await;
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/request-changes"),
            Some(&people.assessor),
            Some(serde_json::json!({ "reason": "Explain 5.6-8" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut dossier = common::dossier_json();
    let declarations = dossier["declarations"].as_array_mut().unwrap();
    let entry = declarations
        .iter_mut()
        .find(|declaration| declaration["provision"] == "5.6-8")
        .unwrap();
    entry["rationale"] = serde_json::json!("Process isolation with seccomp instead of an MPU.");
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/dossier"),
            Some(&people.maker),
            Some(serde_json::json!({ "dossier": dossier, "lab_organisation_id": people.lab_id })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/resubmit"),
            Some(&people.maker),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let assessor = sign_in(&server, "assessor@example.com", "a long password").await;
    let page = get(
        &server,
        &format!("/applications/{id}/changes"),
        Some(&assessor),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Changes from submission 1 to 2"));
    assert!(
        page.text.contains(r#"data-provision="5.6-8""#),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("Process isolation with seccomp instead of an MPU.")
    );
    assert_eq!(
        page.text.matches(r#"class="provision-change""#).count(),
        1,
        "only what changed"
    );
    // The same submission against itself: no changes.
    let same = get(
        &server,
        &format!("/applications/{id}/changes?from=2&to=2"),
        Some(&assessor),
    )
    .await;
    assert!(same.text.contains(r#"id="no-changes""#));
    // Another manufacturer cannot see it.
    let other = sign_in(&server, "other@example.com", "a long password").await;
    let refused = get(
        &server,
        &format!("/applications/{id}/changes"),
        Some(&other),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    server.finish().await;
}

#[tokio::test]
async fn the_lab_records_verdicts_that_appear_beside_the_engines() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = common::draft(&server, &people).await;
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/applications/{id}/actions/send-to-lab"),
            Some(&people.maker),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lab = sign_in(&server, "lab@example.com", "a long password").await;
    let page = get(
        &server,
        &format!("/applications/{id}/lab-review"),
        Some(&lab),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains(r#"name="verdict.5.1-1""#));
    // A fail without a note is refused with the reason.
    let refused = post_form(
        &server,
        &lab,
        &format!("/applications/{id}/lab-review"),
        &page.text,
        &[("verdict.5.1-1", "fail")],
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let saved = post_form(
        &server,
        &lab,
        &format!("/applications/{id}/lab-review"),
        &page.text,
        &[
            ("verdict.5.1-1", "pass"),
            ("verdict.5.1-5", "fail"),
            ("note.5.1-5", "No lockout after 50 tries over SSH"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let application = get(&server, &format!("/applications/{id}"), Some(&lab)).await;
    assert!(
        application
            .text
            .contains("No lockout after 50 tries over SSH")
    );
    // The manufacturer cannot record lab verdicts.
    let maker = sign_in(&server, "maker@example.com", "a long password").await;
    let home = get(&server, "/", Some(&maker)).await;
    let refused = post_form(
        &server,
        &maker,
        &format!("/applications/{id}/lab-review"),
        &home.text,
        &[("verdict.5.1-1", "pass")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    server.finish().await;
}

fn multipart(boundary: &str, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    body
}

#[tokio::test]
async fn a_firmware_upload_is_scanned_in_the_background_and_its_findings_reach_the_verdicts() {
    let server = sqlite_server().await;
    let people = server.people().await;
    let id = common::draft(&server, &people).await;
    let maker = sign_in(&server, "maker@example.com", "a long password").await;
    let page = get(&server, &format!("/applications/{id}"), Some(&maker)).await;
    let token = hidden_csrf(&page.text);
    let image = tar::tar_of(&[
        ("etc/passwd", "root::0:0:root:/root:/bin/sh\n"),
        ("etc/inittab", "::respawn:/usr/sbin/telnetd -F\n"),
    ]);
    let request = Request::builder()
        .method("POST")
        .uri(format!("/applications/{id}/firmware?csrf_token={token}"))
        .header(header::COOKIE, &maker)
        .header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=B0UNDARY",
        )
        .body(Body::from(multipart("B0UNDARY", "router-fw.tar", &image)))
        .unwrap();
    let uploaded = send(&server, request).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.text);

    // Queued: the page says so and refreshes itself until the scan is done.
    let waiting = get(&server, &format!("/applications/{id}"), Some(&maker)).await;
    assert!(
        waiting.text.contains(r#"data-state="queued""#),
        "{}",
        waiting.text
    );
    assert!(waiting.text.contains(r#"http-equiv="refresh""#));

    let run = server
        .state
        .registry
        .run_next_job("test-worker")
        .await
        .unwrap()
        .unwrap();
    assert!(run.succeeded, "{}", run.message);
    let done = get(&server, &format!("/applications/{id}"), Some(&maker)).await;
    assert!(done.text.contains(r#"data-state="done""#), "{}", done.text);
    assert!(!done.text.contains(r#"http-equiv="refresh""#));
    assert!(done.text.contains("router-fw.tar.scan.json"));
    assert!(done.text.contains("The scan report (JSON)"));

    // The engine now holds the findings against the declarations: 5.1-1 (declared
    // supported) fails because the image has a password-less root account.
    let record = server
        .state
        .registry
        .get_application(&people.maker_actor, id)
        .await
        .unwrap();
    let assessment: iotlabel_core::Assessment =
        serde_json::from_str(record.content.assessment_json.as_deref().unwrap()).unwrap();
    let verdict = assessment
        .provisions
        .iter()
        .find(|verdict| verdict.id.to_string() == "5.1-1")
        .unwrap();
    assert_eq!(
        serde_json::to_value(verdict.verdict).unwrap(),
        serde_json::json!("fail"),
        "{verdict:?}"
    );
    server.finish().await;
}

#[tokio::test]
async fn a_refused_product_form_comes_back_with_everything_typed() {
    let server = sqlite_server().await;
    let _people = server.people().await;
    let maker = sign_in(&server, "maker@example.com", "a long password").await;
    let form = get(&server, "/applications/new", Some(&maker)).await;
    let refused = post_form(
        &server,
        &maker,
        "/applications/new",
        &form.text,
        &[
            ("name", "Garden Camera"),
            ("model", "GC-7"),
            ("category", "wifi-router"),
            ("support_period_end", "31/12/2030"),
            ("level", "2"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text.contains("is not a date: use YYYY-MM-DD"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(r#"value="Garden Camera""#));
    assert!(refused.text.contains(r#"value="31/12/2030""#));
    assert!(refused.text.contains(r#"<option value="2" selected>"#));
    server.finish().await;
}

#[tokio::test]
async fn an_sbom_named_in_the_dossier_is_published_with_the_label() {
    let server = sqlite_server().await;
    let people = server.people().await;
    // The dossier names an uploaded CycloneDX file as its SBOM.
    let mut dossier = common::dossier_json();
    dossier["evidence"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "id": "sbom", "kind": "sbom", "file": "sbom.cdx.json" }));
    let (status, body) = server
        .call(
            "POST",
            "/api/applications",
            Some(&people.maker),
            Some(serde_json::json!({ "dossier": dossier, "lab_organisation_id": people.lab_id })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let sbom = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#;
    let upload = Request::builder()
        .method("POST")
        .uri(format!(
            "/api/applications/{id}/evidence?name=sbom.cdx.json"
        ))
        .header(header::AUTHORIZATION, format!("Bearer {}", people.maker))
        .body(Body::from(sbom))
        .unwrap();
    let (status, body) = server.send(upload).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (token, action) in [
        (&people.maker, "send-to-lab"),
        (&people.lab, "hand-off"),
        (&people.assessor, "start-assessment"),
        (&people.assessor, "approve"),
    ] {
        let (status, body) = server
            .call(
                "POST",
                &format!("/api/applications/{id}/actions/{action}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let label = &server
        .state
        .registry
        .search_labels(&Default::default())
        .await
        .unwrap()
        .labels[0];
    let page = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert!(
        page.text
            .contains("Software bill of materials (sbom.cdx.json)"),
        "{}",
        page.text
    );
    let download = get(&server, &format!("/labels/{}/sbom", label.url_id), None).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.text, sbom);
    server.finish().await;

    // A label whose dossier names no SBOM offers none.
    let (server, summary) = demo_server().await;
    let label = valid_label(&server, &summary).await;
    let page = get(&server, &format!("/labels/{}", label.url_id), None).await;
    assert!(!page.text.contains("Software bill of materials"));
    let missing = get(&server, &format!("/labels/{}/sbom", label.url_id), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    server.finish().await;
}

#[tokio::test]
async fn a_flood_of_reports_against_one_label_is_refused_and_the_text_kept() {
    use iotlabel_registry::vulnerability_reports::{
        MAX_REPORTS_PER_LABEL_PER_HOUR, VulnerabilityReportForm,
    };
    let (server, summary) = demo_server().await;
    let label = valid_label(&server, &summary).await;
    for index in 0..MAX_REPORTS_PER_LABEL_PER_HOUR {
        server
            .state
            .registry
            .submit_vulnerability_report(&VulnerabilityReportForm {
                label: label.registration_id.clone(),
                summary: format!("Report {index}"),
                details: "Details".into(),
                reporter_name: None,
                reporter_email: None,
            })
            .await
            .unwrap();
    }
    let form_path = format!("/labels/{}/report", label.url_id);
    let form = get(&server, &form_path, None).await;
    let report_cookie = cookie_value(&set_cookies(&form), "iotlabel_report_csrf").unwrap();
    let refused = send(
        &server,
        form_post(
            &form_path,
            &format!("iotlabel_report_csrf={report_cookie}"),
            &format!(
                "csrf_token={}&summary=One%20more&details=Kept%20text",
                hidden_csrf(&form.text)
            ),
        ),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("reports in the last hour"));
    assert!(refused.text.contains("Kept text"));
    // An hour later the form takes reports again.
    let now = server.state.registry.clock().now();
    server.state.registry.clock().set(now + 3601);
    let form = get(&server, &form_path, None).await;
    let report_cookie = cookie_value(&set_cookies(&form), "iotlabel_report_csrf").unwrap();
    let accepted = send(
        &server,
        form_post(
            &form_path,
            &format!("iotlabel_report_csrf={report_cookie}"),
            &format!(
                "csrf_token={}&summary=One%20more&details=Kept%20text",
                hidden_csrf(&form.text)
            ),
        ),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text);
    server.finish().await;
}
