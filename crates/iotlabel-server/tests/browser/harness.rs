//! The browser-test harness: finds chromedriver, Chromium and axe-core, starts the server
//! in-process on loopback with the demo data and a manual clock, drives headless Chromium over
//! WebDriver (fantoccini), runs axe-core in the page and saves screenshots.
//!
//! A missing tool skips the tests with the reason printed, except under `CI=true`, where it is
//! a failure (`.ci/run` installs everything).

// A toolkit for every browser test: not each test uses each helper.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use iotlabel_core::Date;
use iotlabel_registry::Clock;
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_registry::demo::DemoSummary;
use iotlabel_registry::service::{PublicLabel, unix_at};
use iotlabel_server::{AppState, ServerConfig};
use serde::Deserialize;
use serde_json::{Value, json};

/// The registry's date in every browser test (the manual clock), as in the other server tests.
pub const TODAY: &str = "2026-03-10";

/// Phone and desktop viewports (CSS pixels).
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);

/// Where the programs and the script the browser tests need are.
#[derive(Debug, Clone)]
pub struct Tools {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    pub axe: PathBuf,
}

impl Tools {
    /// Looks for each tool: `IOTLABEL_CHROMEDRIVER`, `IOTLABEL_CHROMIUM` and `IOTLABEL_AXE`
    /// first, then the Debian paths and the npm install beside the tests. The error lists
    /// every missing tool and how to install it.
    pub fn find() -> Result<Tools, String> {
        let chromedriver = locate(
            "IOTLABEL_CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
            "chromedriver (apt-get install chromium-driver)",
        );
        let chromium = locate(
            "IOTLABEL_CHROMIUM",
            &[
                "/usr/bin/chromium",
                "/usr/lib/chromium/chromium",
                "/usr/bin/chromium-browser",
            ],
            "Chromium (apt-get install chromium)",
        );
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/axe-core/axe.min.js")
            .display()
            .to_string();
        let axe = locate(
            "IOTLABEL_AXE",
            &[bundled.as_str()],
            "axe-core (npm ci --prefix crates/iotlabel-server/tests/browser)",
        );
        match (chromedriver, chromium, axe) {
            (Ok(chromedriver), Ok(chromium), Ok(axe)) => Ok(Tools {
                chromedriver,
                chromium,
                axe,
            }),
            (chromedriver, chromium, axe) => Err([chromedriver.err(), chromium.err(), axe.err()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }
}

/// The path in `variable` when it is set, else the first existing candidate; the error says
/// what is missing and how to get it.
fn locate(variable: &str, candidates: &[&str], tool: &str) -> Result<PathBuf, String> {
    if let Ok(value) = std::env::var(variable)
        && !value.trim().is_empty()
    {
        let path = PathBuf::from(value);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{variable}={} does not name a file: install {tool} or correct it",
                path.display()
            ))
        };
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "no {tool} at {}: install it or set {variable} to its path",
                candidates.join(" or ")
            )
        })
}

/// The tools, or None after printing why the test is skipped. Under `CI=true` a missing tool
/// fails the test instead.
pub fn tools_or_skip(test: &str) -> Option<Tools> {
    match Tools::find() {
        Ok(tools) => Some(tools),
        Err(reason) if std::env::var("CI").is_ok_and(|value| value == "true") => {
            panic!("{test}: {reason} (CI=true: the browser tests must run)")
        }
        Err(reason) => {
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// A free loopback port: bind port 0, read the port, release it.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .context("binding a loopback port")?
        .local_addr()?
        .port())
}

/// A chromedriver process on a loopback port, in its own process group; dropping it asks it
/// to shut down (closing its browsers) and then kills the group.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    pub fn start(tools: &Tools) -> anyhow::Result<ChromeDriver> {
        let mut last_error = anyhow!("chromedriver did not start");
        // The port is free when picked but could be taken before chromedriver binds it: retry.
        for _ in 0..3 {
            let port = free_port()?;
            let child = {
                use std::os::unix::process::CommandExt;
                Command::new(&tools.chromedriver)
                    .arg(format!("--port={port}"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .with_context(|| format!("starting {}", tools.chromedriver.display()))?
            };
            let mut driver = ChromeDriver { child, port };
            match driver.wait_until_listening(Duration::from_secs(10)) {
                Ok(()) => return Ok(driver),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    fn wait_until_listening(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.child.try_wait()? {
                bail!("chromedriver exited with {status} on port {}", self.port);
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        bail!(
            "chromedriver did not listen on port {} within {timeout:?}",
            self.port
        )
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Best effort: chromedriver's `GET /shutdown` quits its sessions' browsers.
    fn request_shutdown(&self) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
        let _ = stream
            .write_all(b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        self.request_shutdown();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        // Whatever is left of the group chromedriver leads (browser processes included).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A demo label the tests look at, as the public sees it.
#[derive(Debug, Clone)]
pub struct DemoLabel {
    pub label: PublicLabel,
}

impl DemoLabel {
    pub fn product_page(&self) -> String {
        format!("/labels/{}", self.label.url_id)
    }
}

/// The demo data set the portal serves.
#[derive(Debug, Clone)]
pub struct Demo {
    pub summary: DemoSummary,
    /// A label that is valid on [`TODAY`].
    pub valid: DemoLabel,
    pub suspended: DemoLabel,
    /// Manufacturer names of the published labels.
    pub manufacturers: Vec<String>,
}

/// The server in-process on `127.0.0.1:<free port>`: a fresh SQLite database with the demo
/// data, the manual clock at [`TODAY`]. Dropping it stops the server.
#[derive(Debug)]
pub struct Portal {
    pub address: SocketAddr,
    pub state: AppState,
    pub demo: Demo,
    server: tokio::task::JoinHandle<()>,
    _data: tempfile::TempDir,
}

impl Portal {
    pub async fn start() -> anyhow::Result<Portal> {
        let data = tempfile::tempdir().context("creating the data directory")?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the portal's loopback port")?;
        let address = listener.local_addr()?;
        let config = ServerConfig {
            bind: address,
            database_url: format!(
                "sqlite://{}?mode=rwc",
                data.path().join("iotlabel.sqlite").display()
            ),
            public_url: format!("http://{address}"),
            data_dir: data.path().to_path_buf(),
            password_cost: PasswordCost::Fast,
            ..ServerConfig::default()
        };
        let today: Date = TODAY.parse().map_err(|error| anyhow!("{error:?}"))?;
        let state = iotlabel_server::app_state(&config, Clock::manual(unix_at(today))).await?;
        let summary = iotlabel_registry::demo::load_demo(state.registry.as_ref())
            .await
            .context("loading the demo data")?;
        let demo = demo_labels(&state, summary).await?;
        let app = iotlabel_server::router(state.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("the portal stopped: {error}");
            }
        });
        Ok(Portal {
            address,
            state,
            demo,
            server,
            _data: data,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn demo_labels(state: &AppState, summary: DemoSummary) -> anyhow::Result<Demo> {
    let registry = &state.registry;
    let mut labels = Vec::new();
    for id in &summary.labels {
        labels.push(registry.lookup_label(id).await?);
    }
    let find = |status: &str| {
        labels
            .iter()
            .find(|label| label.status == status)
            .cloned()
            .map(|label| DemoLabel { label })
            .ok_or_else(|| anyhow!("the demo data has no {status} label"))
    };
    let mut manufacturers: Vec<String> = labels
        .iter()
        .map(|label| label.product.manufacturer.clone())
        .collect();
    manufacturers.sort();
    manufacturers.dedup();
    Ok(Demo {
        valid: find("valid")?,
        suspended: find("suspended")?,
        manufacturers,
        summary,
    })
}

/// How a browser session is opened.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// Viewport width and height in CSS pixels.
    pub size: (u32, u32),
    /// False: JavaScript off for every page (`profile.managed_default_content_settings
    /// .javascript` = 2); WebDriver's own scripts still run.
    pub javascript: bool,
}

/// One axe-core rule violated on a page.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    pub id: String,
    /// minor, moderate, serious or critical (axe leaves it empty for some rules).
    #[serde(default)]
    pub impact: Option<String>,
    pub help: String,
    #[serde(rename = "helpUrl", default)]
    pub help_url: String,
    /// The CSS selectors of the offending elements.
    pub nodes: Vec<String>,
}

impl Violation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "[{}] {}: {} ({}) at {}",
            self.impact.as_deref().unwrap_or("unknown"),
            self.id,
            self.help,
            self.help_url,
            self.nodes.join(", ")
        )
    }
}

/// A headless Chromium session on the portal.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    base_url: String,
    axe_source: String,
    javascript: bool,
}

impl Browser {
    pub async fn open(
        driver: &ChromeDriver,
        tools: &Tools,
        base_url: &str,
        options: SessionOptions,
    ) -> anyhow::Result<Browser> {
        let (width, height) = options.size;
        let mut chrome = json!({
            "binary": tools.chromium.display().to_string(),
            "args": [
                "--headless=new",
                // Root (CI) cannot use Chromium's sandbox.
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                format!("--window-size={width},{height}"),
            ],
        });
        if !options.javascript {
            chrome["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), chrome);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .with_context(|| format!("opening a Chromium session through {}", driver.url()))?;
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await?;
        let axe_source = std::fs::read_to_string(&tools.axe)
            .with_context(|| format!("reading {}", tools.axe.display()))?;
        let browser = Browser {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            axe_source,
            javascript: options.javascript,
        };
        browser.resize(options.size).await?;
        Ok(browser)
    }

    /// Sets the viewport (not the outer window) to `width` × `height` CSS pixels.
    pub async fn resize(&self, (width, height): (u32, u32)) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        if !self.javascript {
            return Ok(());
        }
        // Headless windows have no frame, but measure to be sure and correct for any.
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let measured = (
            inner[0].as_u64().unwrap_or(u64::from(width)),
            inner[1].as_u64().unwrap_or(u64::from(height)),
        );
        let short =
            |wanted: u32, got: u64| wanted.saturating_sub(u32::try_from(got).unwrap_or(wanted));
        let (extra_width, extra_height) = (short(width, measured.0), short(height, measured.1));
        if extra_width > 0 || extra_height > 0 {
            self.client
                .set_window_size(width + extra_width, height + extra_height)
                .await?;
        }
        Ok(())
    }

    pub fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Opens `path` on the portal and waits for the page to load; a server that does not answer
    /// is an error (chromedriver reports `net::ERR_...`).
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        let url = self.url_of(path);
        self.client
            .goto(&url)
            .await
            .with_context(|| format!("opening {url}"))?;
        Ok(())
    }

    pub async fn current_url(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// The current path with its query (`/registry?q=...`).
    pub async fn current_path(&self) -> anyhow::Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub async fn title(&self) -> anyhow::Result<String> {
        Ok(self.client.title().await?)
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css} on {}", self.base_url))?;
        Ok(element.text().await?)
    }

    /// Whether an element matches `css`.
    pub async fn exists(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// The rendered text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await? {
            texts.push(element.text().await?);
        }
        Ok(texts)
    }

    /// Types `value` into the field `field` (a CSS selector) with real key presses, so it
    /// works with JavaScript off.
    pub async fn fill(&self, field: &str, value: &str) -> anyhow::Result<()> {
        let element = self
            .client
            .find(Locator::Css(field))
            .await
            .with_context(|| format!("no field matches {field}"))?;
        element.clear().await?;
        element.send_keys(value).await?;
        Ok(())
    }

    /// Picks the option with `value` in the `<select>` matching `field`.
    pub async fn select(&self, field: &str, value: &str) -> anyhow::Result<()> {
        let element = self
            .client
            .find(Locator::Css(field))
            .await
            .with_context(|| format!("no select matches {field}"))?;
        element
            .select_by_value(value)
            .await
            .with_context(|| format!("{field} has no option {value}"))?;
        Ok(())
    }

    /// Submits the form matching `form` by clicking its submit button (a real click, so it
    /// works with JavaScript off), then waits for the next page.
    pub async fn submit(&self, form: &str) -> anyhow::Result<()> {
        let form_element = self
            .client
            .find(Locator::Css(form))
            .await
            .with_context(|| format!("no form matches {form}"))?;
        let button = form_element
            .find(Locator::Css(
                "button:not([type]), button[type=submit], input[type=submit]",
            ))
            .await
            .with_context(|| format!("the form {form} has no submit button"))?;
        self.navigate_by(|| button.click(), form).await
    }

    /// Clicks the first element matching `css` (a link or a button) and waits for the next
    /// page.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("nothing to click matches {css}"))?;
        self.navigate_by(|| element.click(), css).await
    }

    /// Runs `action` and waits until the page it was on is gone (its `<html>` element goes
    /// stale), so a form that leads back to the same URL is waited for too.
    async fn navigate_by<F, Fut>(&self, action: F, what: &str) -> anyhow::Result<()>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let old_page = self.client.find(Locator::Css("html")).await?;
        action().await.with_context(|| format!("clicking {what}"))?;
        let started = Instant::now();
        while old_page.tag_name().await.is_ok() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("clicking {what} did not lead to another page within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Checks that the session really runs no page script: a page whose script would change
    /// its text keeps the text it was served with.
    pub async fn assert_javascript_off(&self) -> anyhow::Result<()> {
        let page = "<!doctype html><title>probe</title><p id=probe>off</p>\
                    <script>document.getElementById('probe').textContent = 'on';</script>";
        let encoded: String = page
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        self.client
            .goto(&format!("data:text/html;charset=utf-8,{encoded}"))
            .await?;
        let text = self.text("#probe").await?;
        anyhow::ensure!(
            text == "off",
            "page scripts ran in a session opened with JavaScript off (the probe says {text:?})"
        );
        Ok(())
    }

    /// Saves a PNG of the viewport to `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let directory = screenshot_dir();
        std::fs::create_dir_all(&directory)
            .with_context(|| format!("creating {}", directory.display()))?;
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Runs axe-core (WCAG 2 A and AA rules) on the current page and returns its violations.
    /// Needs a session with JavaScript on.
    pub async fn axe(&self) -> anyhow::Result<Vec<Violation>> {
        if !self.javascript {
            bail!("axe needs JavaScript: open the session with javascript: true");
        }
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await?;
        if loaded != Value::Bool(true) {
            self.client
                .execute(&format!("{}\n;return null;", self.axe_source), vec![])
                .await
                .context("injecting axe-core")?;
        }
        let result = self
            .client
            .execute_async(
                r#"
                const done = arguments[arguments.length - 1];
                window.axe
                  .run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } })
                  .then((results) => done({
                    violations: results.violations.map((violation) => ({
                      id: violation.id,
                      impact: violation.impact,
                      help: violation.help,
                      helpUrl: violation.helpUrl,
                      nodes: violation.nodes.map((node) => node.target.join(" ")),
                    })),
                  }))
                  .catch((error) => done({ error: String(error) }));
                "#,
                vec![],
            )
            .await
            .context("running axe-core")?;
        if let Some(error) = result.get("error") {
            bail!("axe-core failed: {error}");
        }
        serde_json::from_value(result["violations"].clone())
            .context("reading axe-core's violations")
    }

    /// Fails with every serious or critical axe violation on the current page.
    pub async fn assert_no_serious_violations(&self, page: &str) -> anyhow::Result<()> {
        let violations = self.axe().await?;
        let serious: Vec<String> = violations
            .iter()
            .filter(|violation| violation.is_serious())
            .map(ToString::to_string)
            .collect();
        for violation in violations
            .iter()
            .filter(|violation| !violation.is_serious())
        {
            eprintln!("{page}: minor accessibility issue {violation}");
        }
        if !serious.is_empty() {
            bail!(
                "{page}: {} serious or critical accessibility violation(s):\n  {}",
                serious.len(),
                serious.join("\n  ")
            );
        }
        Ok(())
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the browser session (the chromedriver drop would also end it).
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// `target/screenshots` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}
