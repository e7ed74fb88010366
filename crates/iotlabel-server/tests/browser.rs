//! The web portal in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against the server in-process on loopback with the demo data. Every public page in
//! [`PUBLIC_PAGES`] must render its main content, pass axe-core's WCAG 2 A/AA rules with no
//! serious or critical violation, fit a phone's width, and work with JavaScript off (the
//! search form submits and filters, sign-in works). The run saves screenshots to
//! `target/screenshots/` (product-page-phone, product-page-desktop, search, statistics).
//!
//! Running them locally (Debian/Ubuntu, as in `.ci/run`):
//!
//! ```text
//! apt-get install chromium chromium-driver          # /usr/bin/chromium, /usr/bin/chromedriver
//! npm ci --prefix crates/iotlabel-server/tests/browser   # axe-core, pinned by package-lock.json
//! cargo test -p iotlabel-server --test browser
//! ```
//!
//! Other locations: `IOTLABEL_CHROMEDRIVER`, `IOTLABEL_CHROMIUM` and `IOTLABEL_AXE` (the path of
//! `axe.min.js`). Without these tools the tests print why and pass as skipped, except under
//! `CI=true`, where they fail. Chromium runs with `--no-sandbox` (CI runs as root). Add a page
//! to the checks with one row in [`PUBLIC_PAGES`].

#![allow(clippy::unwrap_used)]

#[path = "browser/harness.rs"]
mod harness;
#[path = "common/tar.rs"]
mod tar;

use harness::{Browser, ChromeDriver, DESKTOP, Demo, PHONE, Portal, SessionOptions};

/// A public page and what shows that it rendered its main content.
#[derive(Debug)]
struct PublicPage {
    name: &'static str,
    path: fn(&Demo) -> String,
    /// Text the page's `<main>` must contain.
    shows: fn(&Demo) -> Vec<String>,
    /// CSS selectors that must match inside the page.
    has: &'static [&'static str],
}

/// Every public page (no sign-in). One row per page.
const PUBLIC_PAGES: &[PublicPage] = &[
    PublicPage {
        name: "home",
        path: |_| "/".into(),
        shows: |_| Vec::new(),
        has: &["main form[role=search][action='/registry'] input[name=q]"],
    },
    PublicPage {
        name: "product page (valid label)",
        path: |demo| demo.valid.product_page(),
        shows: |demo| {
            let label = &demo.valid.label;
            vec![
                label.product.name.clone(),
                label.product.manufacturer.clone(),
                label.registration_id.clone(),
            ]
        },
        has: &["#label-status[data-status=valid]", "main .asterisks"],
    },
    PublicPage {
        name: "product page (suspended label)",
        path: |demo| demo.suspended.product_page(),
        shows: |demo| {
            let label = &demo.suspended.label;
            let mut shows = vec![label.product.name.clone(), "Suspended".into()];
            shows.extend(label.suspension_reason.clone());
            shows
        },
        has: &["#label-status[data-status=suspended]"],
    },
    PublicPage {
        name: "registry search",
        path: |_| "/registry".into(),
        shows: |demo| demo.manufacturers.clone(),
        has: &[
            "main form[role=search] input[name=q]",
            "main table tbody tr",
        ],
    },
    PublicPage {
        name: "statistics",
        path: |_| "/statistics".into(),
        shows: |_| Vec::new(),
        has: &["main svg[role=img] g.bar"],
    },
    PublicPage {
        name: "levels and recognition",
        path: |_| "/levels".into(),
        shows: |_| vec!["Level 1".into(), "Level 4".into()],
        has: &[],
    },
    PublicPage {
        name: "sign in",
        path: |_| "/signin".into(),
        shows: |_| Vec::new(),
        has: &[
            "main form input[type=email]",
            "main form input[type=password]",
        ],
    },
    PublicPage {
        name: "vulnerability report form",
        path: |demo| format!("{}/report", demo.valid.product_page()),
        shows: |demo| vec![demo.valid.label.registration_id.clone()],
        has: &["main form textarea[name=details]"],
    },
    PublicPage {
        name: "transparency log",
        path: |_| "/transparency-log".into(),
        shows: |_| vec!["Root hash".into()],
        has: &["main table tbody tr"],
    },
    PublicPage {
        name: "page not found",
        path: |_| "/no-such-page".into(),
        shows: |_| vec!["Page not found".into()],
        has: &[],
    },
];

/// The registry search form and its parts.
const SEARCH_FORM: &str = "main form[role=search]";
const SEARCH_RESULTS: &str = "main table tbody tr";

/// Checks the page `browser` shows: a `<main>` with a non-empty `<h1>`, the page's texts and
/// elements.
async fn check_main_content(
    browser: &Browser,
    page: &PublicPage,
    demo: &Demo,
) -> anyhow::Result<()> {
    let heading = browser.text("main h1").await?;
    anyhow::ensure!(!heading.trim().is_empty(), "the <h1> is empty");
    let main = browser.text("main").await?;
    for text in (page.shows)(demo) {
        anyhow::ensure!(
            main.contains(&text),
            "<main> does not show {text:?}:\n{main}"
        );
    }
    for selector in page.has {
        anyhow::ensure!(
            browser.exists(selector).await?,
            "nothing matches {selector}"
        );
    }
    Ok(())
}

/// The browser tests' common set-up: the portal, chromedriver, one session.
async fn start(
    test: &str,
    options: SessionOptions,
) -> anyhow::Result<Option<(Portal, ChromeDriver, Browser)>> {
    let Some(tools) = harness::tools_or_skip(test) else {
        return Ok(None);
    };
    let portal = Portal::start().await?;
    let driver = ChromeDriver::start(&tools)?;
    let browser = Browser::open(&driver, &tools, &portal.base_url(), options).await?;
    Ok(Some((portal, driver, browser)))
}

fn fail_with(failures: &[String]) -> anyhow::Result<()> {
    anyhow::ensure!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_page_is_accessible_and_fits_a_phone() -> anyhow::Result<()> {
    let options = SessionOptions {
        size: DESKTOP,
        javascript: true,
    };
    let Some((portal, _driver, browser)) = start("browser accessibility test", options).await?
    else {
        return Ok(());
    };
    let demo = &portal.demo;
    let mut failures = Vec::new();
    for (size, width) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        browser.resize(size).await?;
        for page in PUBLIC_PAGES {
            let path = (page.path)(demo);
            let name = format!("{} ({path}, {width})", page.name);
            browser.goto(&path).await?;
            if let Err(error) = check_main_content(&browser, page, demo).await {
                failures.push(format!("{name}: {error:#}"));
            }
            if let Err(error) = browser.assert_no_serious_violations(&name).await {
                failures.push(format!("{error:#}"));
            }
            // Nothing wider than the screen: the page never scrolls sideways.
            let overflow = browser
                .client()
                .execute(
                    "return document.documentElement.scrollWidth - window.innerWidth;",
                    vec![],
                )
                .await?;
            if overflow.as_i64().unwrap_or(0) > 0 {
                failures.push(format!(
                    "{name}: the page is {overflow} px wider than the window"
                ));
            }
        }
    }

    // The screenshots a person looks at (issue 5): the product page at both widths, the
    // search page and the statistics page.
    let product_page = demo.valid.product_page();
    browser.resize(PHONE).await?;
    browser.goto(&product_page).await?;
    browser.screenshot("product-page-phone").await?;
    browser.resize(DESKTOP).await?;
    browser.goto(&product_page).await?;
    browser.screenshot("product-page-desktop").await?;
    browser.goto("/registry").await?;
    browser.screenshot("search").await?;
    browser.goto("/statistics").await?;
    let shot = browser.screenshot("statistics").await?;
    eprintln!(
        "screenshots in {}",
        shot.parent()
            .map(|dir| dir.display().to_string())
            .unwrap_or_default()
    );
    browser.close().await?;
    fail_with(&failures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_work_without_javascript() -> anyhow::Result<()> {
    let options = SessionOptions {
        size: PHONE,
        javascript: false,
    };
    let Some((portal, _driver, browser)) = start("browser no-JavaScript test", options).await?
    else {
        return Ok(());
    };
    browser.assert_javascript_off().await?;
    let demo = &portal.demo;
    let mut failures = Vec::new();
    for page in PUBLIC_PAGES {
        let path = (page.path)(demo);
        browser.goto(&path).await?;
        if let Err(error) = check_main_content(&browser, page, demo).await {
            failures.push(format!(
                "{} ({path}) without JavaScript: {error:#}",
                page.name
            ));
        }
    }
    fail_with(&failures)?;

    // The search form submits as a plain GET and filters: by manufacturer...
    browser.goto("/registry").await?;
    let everything = browser.texts(SEARCH_RESULTS).await?;
    let maker = demo.valid.label.product.manufacturer.clone();
    browser
        .fill(&format!("{SEARCH_FORM} input[name=manufacturer]"), &maker)
        .await?;
    browser.submit(SEARCH_FORM).await?;
    let path = browser.current_path().await?;
    assert!(path.starts_with("/registry?"), "the search went to {path}");
    let rows = browser.texts(SEARCH_RESULTS).await?;
    assert!(
        !rows.is_empty(),
        "no result for manufacturer {maker:?} ({path})"
    );
    assert!(
        rows.len() < everything.len(),
        "the manufacturer filter kept all {} rows",
        everything.len()
    );
    for row in &rows {
        assert!(row.contains(&maker), "{row:?} is not by {maker:?}");
    }
    // ... and by status, the choice kept in the form after the submit.
    browser.goto("/registry").await?;
    browser
        .select(&format!("{SEARCH_FORM} select[name=status]"), "suspended")
        .await?;
    browser.submit(SEARCH_FORM).await?;
    let rows = browser.texts(SEARCH_RESULTS).await?;
    let suspended = &demo.suspended.label;
    assert_eq!(rows.len(), 1, "suspended labels: {rows:?}");
    assert!(rows[0].contains(&suspended.product.name), "{rows:?}");
    assert!(rows[0].contains("Suspended"), "{rows:?}");
    assert!(
        browser
            .exists(&format!(
                "{SEARCH_FORM} select[name=status] option[value=suspended][selected]"
            ))
            .await?
    );

    // The home page's search box leads to the registry, and a result to its product page.
    browser.goto("/").await?;
    let model = demo.valid.label.product.model.clone();
    browser
        .fill("main form[role=search] input[name=q]", &model)
        .await?;
    browser.submit("main form[role=search]").await?;
    let rows = browser.texts(SEARCH_RESULTS).await?;
    assert_eq!(rows.len(), 1, "searching {model:?}: {rows:?}");
    browser.click(&format!("{SEARCH_RESULTS} a")).await?;
    assert_eq!(browser.current_path().await?, demo.valid.product_page());
    assert!(browser.exists("#label-status[data-status=valid]").await?);

    // Signing in is a plain form POST (its CSRF token is a double-submit cookie).
    browser.goto("/signin").await?;
    browser
        .fill("main form input[name=email]", "assessor@demo.example")
        .await?;
    browser
        .fill(
            "main form input[name=password]",
            iotlabel_registry::demo::DEMO_PASSWORD,
        )
        .await?;
    browser.submit("main form").await?;
    assert_eq!(browser.current_path().await?, "/dashboard");
    browser.goto("/").await?;
    assert!(
        browser.exists("form[action='/signout'] button").await?,
        "signed in, the header offers to sign out"
    );
    // Signing out is a form POST carrying the session's CSRF token.
    browser.submit("form[action='/signout']").await?;
    let main = browser.text("main").await?;
    assert!(main.contains("signed out"), "after signing out:\n{main}");
    assert!(browser.exists("nav a[href='/signin']").await?);
    browser.close().await?;
    Ok(())
}

/// Signs in through the form as `email` (demo password).
async fn sign_in(browser: &Browser, email: &str) -> anyhow::Result<()> {
    browser.goto("/signin").await?;
    browser.fill("main form input[name=email]", email).await?;
    browser
        .fill(
            "main form input[name=password]",
            iotlabel_registry::demo::DEMO_PASSWORD,
        )
        .await?;
    browser.submit("main form").await?;
    anyhow::ensure!(
        browser.current_path().await? == "/dashboard",
        "signing in as {email} did not reach the dashboard"
    );
    Ok(())
}

async fn sign_out(browser: &Browser) -> anyhow::Result<()> {
    browser.submit("form[action='/signout']").await
}

/// Takes workflow `action` on the application page `path` (with `reason` when it needs one).
async fn act(
    browser: &Browser,
    path: &str,
    action: &str,
    reason: Option<&str>,
) -> anyhow::Result<()> {
    browser.goto(path).await?;
    let form = format!("main form[action$='/actions/{action}']");
    if let Some(reason) = reason {
        browser
            .fill(&format!("{form} textarea[name=reason]"), reason)
            .await?;
    }
    browser.submit(&form).await?;
    let main = browser.text("main").await?;
    anyhow::ensure!(
        main.contains("Done:") || main.contains("Approved:"),
        "{action} on {path} did not go through:\n{main}"
    );
    Ok(())
}

/// GETs `path` from the portal over plain HTTP/1.0 (what a label printer or phone would
/// fetch); returns the body.
async fn http_get(portal: &Portal, path: &str) -> anyhow::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(portal.address).await?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", portal.address).as_bytes())
        .await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no HTTP header end in the answer to {path}"))?;
    anyhow::ensure!(
        response.starts_with(b"HTTP/1.0 200") || response.starts_with(b"HTTP/1.1 200"),
        "GET {path}: {}",
        String::from_utf8_lossy(&response[..split])
    );
    Ok(response[split + 4..].to_vec())
}

/// A tar archive (hand-written POSIX headers) of a clean root file system: locked accounts,
/// nothing listening at boot, the model and the support period stated on the device.
fn clean_firmware() -> Vec<u8> {
    tar::tar_of(&[
        ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
        (
            "etc/device_info",
            "DEVICE_MODEL='EX-AX3000'\nDEVICE_REVISION='1.0'\nFIRMWARE_VERSION='1.4.2'\n",
        ),
        (
            "etc/support.txt",
            "Security updates: supported until 2030-12-31.\n",
        ),
    ])
}

/// The story of issue 5 in a real browser: a manufacturer applies for level 2 with a firmware
/// upload, the lab reviews, the assessor asks for a change, the manufacturer answers, the
/// assessor approves, the public page shows the label, the QR code of its artwork opens that
/// page, the assessor suspends the label and the public page says so. Every page visited on
/// the way passes axe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_in_a_browser() -> anyhow::Result<()> {
    let options = SessionOptions {
        size: DESKTOP,
        javascript: true,
    };
    let Some((portal, _driver, browser)) = start("browser story test", options).await? else {
        return Ok(());
    };
    let mut failures = Vec::new();
    let check = async |name: &str, failures: &mut Vec<String>| -> anyhow::Result<()> {
        if let Err(error) = browser.assert_no_serious_violations(name).await {
            failures.push(format!("{error:#}"));
        }
        Ok(())
    };

    // The manufacturer imports its dossier (the guided steps are the same forms, checked
    // in process by tests/web.rs) and uploads a firmware image.
    sign_in(&browser, "maker1@demo.example").await?;
    check("dashboard (manufacturer)", &mut failures).await?;
    browser.goto("/applications/new").await?;
    check("new application", &mut failures).await?;
    let dossier = include_str!("../../../examples/wifi-router.toml");
    browser
        .client()
        .execute(
            "document.querySelector('main details').open = true; \
             document.querySelector('#import-dossier').value = arguments[0];",
            vec![serde_json::Value::String(dossier.to_owned())],
        )
        .await?;
    browser
        .fill(
            "main form[action='/applications/import'] input[name=lab]",
            "Example Test Lab Pte Ltd",
        )
        .await?;
    browser
        .submit("main form[action='/applications/import']")
        .await?;
    let application = browser.current_path().await?;
    anyhow::ensure!(
        application.starts_with("/applications/"),
        "import went to {application}"
    );
    check("application (draft)", &mut failures).await?;
    browser.goto(&format!("{application}/product")).await?;
    check("guided product and target", &mut failures).await?;
    browser.goto(&format!("{application}/provisions")).await?;
    check("guided provisions", &mut failures).await?;
    browser.goto(&format!("{application}/ics")).await?;
    check("guided features", &mut failures).await?;

    browser.goto(&application).await?;
    let firmware = tempfile::NamedTempFile::with_suffix(".tar")?;
    std::fs::write(firmware.path(), clean_firmware())?;
    let input = browser
        .client()
        .find(fantoccini::Locator::Css("#firmware-file"))
        .await?;
    input
        .send_keys(&firmware.path().display().to_string())
        .await?;
    browser.submit("main form[action*='/firmware']").await?;
    anyhow::ensure!(
        browser
            .exists("#firmware-scans li[data-state=queued]")
            .await?,
        "no queued scan"
    );
    // The server's own worker is not running in this harness: run the job here.
    let run = portal
        .state
        .registry
        .run_next_job("browser-test")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no scan job was queued"))?;
    anyhow::ensure!(run.succeeded, "the scan failed: {}", run.message);
    browser.goto(&application).await?;
    anyhow::ensure!(
        browser
            .exists("#firmware-scans li[data-state=done]")
            .await?,
        "the scan is not shown done"
    );
    act(&browser, &application, "send-to-lab", None).await?;
    sign_out(&browser).await?;

    // The lab records verdicts and hands off.
    sign_in(&browser, "lab@demo.example").await?;
    browser.goto(&format!("{application}/lab-review")).await?;
    check("lab review", &mut failures).await?;
    browser
        .select("main select[name='verdict.5.1-1']", "pass")
        .await?;
    browser.submit("main form[action$='/lab-review']").await?;
    act(&browser, &application, "hand-off", None).await?;
    sign_out(&browser).await?;

    // The assessor asks for a change; the manufacturer answers; the assessor approves.
    sign_in(&browser, "assessor@demo.example").await?;
    check("dashboard (assessor)", &mut failures).await?;
    act(&browser, &application, "start-assessment", None).await?;
    act(
        &browser,
        &application,
        "request-changes",
        Some("State the support period on the box"),
    )
    .await?;
    sign_out(&browser).await?;
    sign_in(&browser, "maker1@demo.example").await?;
    browser.goto(&application).await?;
    anyhow::ensure!(
        browser
            .text("main")
            .await?
            .contains("State the support period on the box"),
        "the manufacturer does not see the change request"
    );
    act(&browser, &application, "resubmit", None).await?;
    sign_out(&browser).await?;
    sign_in(&browser, "assessor@demo.example").await?;
    act(&browser, &application, "start-assessment", None).await?;
    browser.goto(&format!("{application}/changes")).await?;
    check("changes between submissions", &mut failures).await?;
    act(&browser, &application, "approve", None).await?;
    let flash = browser.text("main .flash").await?;
    let registration_id = flash
        .split_whitespace()
        .find(|word| word.contains('/'))
        .ok_or_else(|| anyhow::anyhow!("no label id in {flash:?}"))?
        .to_owned();
    browser.goto("/vulnerability-reports").await?;
    check("vulnerability reports", &mut failures).await?;
    sign_out(&browser).await?;

    // The public page shows the label; the QR code of the artwork opens exactly that page.
    let label = portal.state.registry.lookup_label(&registration_id).await?;
    let page = format!("/labels/{}", label.url_id);
    browser.goto(&page).await?;
    anyhow::ensure!(
        browser.exists("#label-status[data-status=valid]").await?,
        "not shown valid"
    );
    let png = http_get(
        &portal,
        &format!("/api/labels/{}/artwork.png", label.url_id),
    )
    .await?;
    let decoded = iotlabel_registry::artwork::decode_label_qr(&png)?;
    anyhow::ensure!(
        decoded == browser.current_url().await?,
        "the QR code says {decoded}, the page is {}",
        browser.current_url().await?
    );

    // A member of the public reports a vulnerability through the scheme.
    browser.goto(&format!("{page}/report")).await?;
    browser
        .fill(
            "main form input[name=summary]",
            "Serial console gives a root shell",
        )
        .await?;
    browser
        .fill(
            "main form textarea[name=details]",
            "The UART header J4 opens /bin/sh without a password.",
        )
        .await?;
    browser.submit("main form[action$='/report']").await?;
    check("vulnerability report received", &mut failures).await?;
    let reference = browser.text("#report-reference").await?;

    // The assessor reads it, then suspends the label; the public page shows it suspended.
    sign_in(&browser, "assessor@demo.example").await?;
    browser
        .goto(&format!("/vulnerability-reports/{reference}"))
        .await?;
    check("vulnerability report (assessor)", &mut failures).await?;
    anyhow::ensure!(
        browser.text("main").await?.contains("UART header J4"),
        "the assessor does not see the report"
    );
    browser.goto(&page).await?;
    check("product page (assessor)", &mut failures).await?;
    browser
        .fill(
            "main form[action$='/actions/suspend'] textarea[name=reason]",
            "Unresolved vulnerability report VR-1",
        )
        .await?;
    browser
        .submit("main form[action$='/actions/suspend']")
        .await?;
    sign_out(&browser).await?;
    browser.goto(&page).await?;
    anyhow::ensure!(
        browser
            .exists("#label-status[data-status=suspended]")
            .await?,
        "not shown suspended"
    );
    anyhow::ensure!(
        browser
            .text("#label-status")
            .await?
            .contains("Unresolved vulnerability report VR-1"),
        "the reason is not shown"
    );
    browser.close().await?;
    fail_with(&failures)
}
