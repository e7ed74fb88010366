//! Signing in and out with a session cookie. The sign-in form comes before any session, so
//! its CSRF protection is a double-submit cookie: a random token set with the form that the
//! post must echo.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::{PageError, Viewer, random_token, redirect_with_flash, render};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};

const LOGIN_CSRF_COOKIE: &str = "iotlabel_login_csrf";

fn form_page(viewer: &Viewer, token: &str, email: &str, problem: Option<&str>) -> Response {
    let body = html! {
        h1 { "Sign in" }
        p { "For manufacturers, test labs, assessors and the registrar. The public registry needs no account." }
        @if let Some(problem) = problem {
            div.flash role="alert" { (problem) }
        }
        form.card method="post" action="/signin" {
            input type="hidden" name="csrf_token" value=(token);
            label for="email" { "E-mail" }
            input #email type="email" name="email" autocomplete="username" required value=(email);
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            div.form-actions { button.primary type="submit" { "Sign in" } }
        }
    };
    let mut response = render(viewer, "Sign in", body);
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/signin; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn form(viewer: Viewer) -> Result<Response, PageError> {
    Ok(form_page(&viewer, &random_token()?, "", None))
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !iotlabel_registry::accounts::constant_time_eq(&form.csrf_token, &expected)
    {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired or did not come from this site. Open the sign-in page again.",
        ));
    }
    let Some(session) = state
        .registry
        .login(form.email.trim(), &form.password)
        .await?
    else {
        let mut response = form_page(
            &viewer,
            &random_token()?,
            form.email.trim(),
            Some("Wrong e-mail or password."),
        );
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let mut response = redirect_with_flash(
        "/dashboard",
        &format!("Signed in as {}.", session.user.display_name),
    );
    let session_cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        session.token,
        state.registry.settings().session_seconds
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&session_cookie) {
        headers.append(header::SET_COOKIE, value);
    }
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "iotlabel_login_csrf=; Path=/signin; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct SignOut {
    #[serde(default)]
    csrf_token: String,
}

pub async fn signout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SignOut>,
) -> Result<Response, PageError> {
    let Some(session) = &viewer.session else {
        return Ok(redirect_with_flash("/", "You are signed out."));
    };
    viewer.check_csrf(&form.csrf_token)?;
    state.registry.logout(&session.token).await?;
    let mut response = redirect_with_flash("/", "You are signed out.");
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("iotlabel_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response.into_response())
}
