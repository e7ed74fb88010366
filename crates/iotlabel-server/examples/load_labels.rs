//! Bulk loader for the HTTP benchmark (`crates/iotlabel-server/benches/load.sh`): fills a fresh
//! registry database with COUNT published labels and writes their URL ids, one a line.
//!
//! `cargo run --release -p iotlabel-server --example load_labels -- DATABASE_URL DATA_DIR COUNT IDS_FILE [PUBLIC_URL]`
//!
//! It loads the demo data set through the registry (real workflow, signed credentials), then
//! copies the first valid demo label by direct SQL inserts in one transaction, each copy with
//! its own serial and registration id (the scheme's format), manufacturer, product, model,
//! category, level, validity and state, so the public lookup and search serve the rows they
//! would serve in production. The copies' applications carry an empty dossier and the copies'
//! credentials are the demo credential with the registration id replaced (same size, not a
//! valid signature): neither is read by label lookup or search. No log entries are written.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use iotlabel_core::Date;
use iotlabel_core::label_id::{RegistrationIdFormat, to_url_form};
use iotlabel_registry::Clock;
use iotlabel_registry::accounts::PasswordCost;
use iotlabel_server::ServerConfig;
use sqlx::Row;

const USAGE: &str = "usage: load_labels DATABASE_URL DATA_DIR COUNT IDS_FILE [PUBLIC_URL]";

const BRANDS: [&str; 24] = [
    "Northwind",
    "Lumen",
    "Kestrel",
    "Harbour",
    "Summit",
    "Aurora",
    "Cedar",
    "Granite",
    "Bluefin",
    "Silver Oak",
    "Meridian",
    "Orchid",
    "Tidewater",
    "Falcon",
    "Pinewood",
    "Quartz",
    "Redline",
    "Sable",
    "Helix",
    "Juniper",
    "Monsoon",
    "Nimbus",
    "Vantage",
    "Zephyr",
];
const TRADES: [&str; 10] = [
    "Networks",
    "Home Devices",
    "Security Systems",
    "Electronics",
    "Labs",
    "Appliances",
    "Technologies",
    "Smart Living",
    "Audio",
    "Connect",
];
const SUFFIXES: [&str; 5] = ["Pte Ltd", "Ltd", "Co", "Inc", "GmbH"];
const SERIES: [&str; 8] = ["Pro", "Lite", "Max", "Mini", "Plus", "Air", "One", "S"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, data_dir, count, ids_file, rest @ ..] = args.as_slice() else {
        bail!("{USAGE}");
    };
    let count: i64 = count.parse().context(USAGE)?;
    let public_url = rest
        .first()
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:18080".to_owned());
    let config = ServerConfig {
        database_url: url.clone(),
        data_dir: PathBuf::from(data_dir),
        public_url,
        // Demo accounts only: nobody logs in during the benchmark.
        password_cost: PasswordCost::Fast,
        ..ServerConfig::default()
    };
    let started = Instant::now();
    let state = iotlabel_server::app_state(&config, Clock::System).await?;
    iotlabel_server::load_demo_once(&state).await?;
    let registry = &state.registry;
    let pool = registry.store().pool();

    let template = sqlx::query(
        "SELECT id, registration_id, url_id, application_id, scheme, route, recognitions_json, \
         credential_json FROM labels WHERE state = 'valid' AND credential_json IS NOT NULL \
         ORDER BY id LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .context("the demo data has no valid label to copy")?;
    let template_registration: String = template.try_get("registration_id")?;
    let template_url: String = template.try_get("url_id")?;
    let template_application: i64 = template.try_get("application_id")?;
    let scheme_id: String = template.try_get("scheme")?;
    let route: String = template.try_get("route")?;
    let recognitions: String = template.try_get("recognitions_json")?;
    let credential: String = template.try_get("credential_json")?;
    let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM labels")
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    let next_serial: i64 = sqlx::query("SELECT COALESCE(MAX(serial), 0) + 1 AS n FROM labels")
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    let next_application: i64 =
        sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM applications")
            .fetch_one(pool)
            .await?
            .try_get("n")?;

    let catalog = registry.catalog();
    let scheme = catalog
        .scheme(&scheme_id)
        .with_context(|| format!("scheme {scheme_id} not in the catalog"))?;
    let format = RegistrationIdFormat::parse(&scheme.label.registration_id_format)
        .map_err(|error| anyhow::anyhow!("registration id format: {error:?}"))?;
    let categories: Vec<_> = catalog
        .categories
        .iter()
        .filter(|category| category.cls_in_scope)
        .collect();
    let today = registry.clock().today();
    let now = registry.clock().now();

    let mut ids = String::new();
    for row in sqlx::query("SELECT url_id FROM labels WHERE state = 'valid' ORDER BY id")
        .fetch_all(pool)
        .await?
    {
        let url_id: String = row.try_get("url_id")?;
        writeln!(ids, "{url_id}")?;
    }

    let mut transaction = pool.begin().await?;
    let to_add = (count - existing).max(0);
    for i in 0..to_add {
        let serial = next_serial + i;
        let application_id = next_application + i;
        let brand = usize::try_from(i).unwrap_or(0);
        let manufacturer = format!(
            "{} {} {}",
            BRANDS[brand % BRANDS.len()],
            TRADES[(brand / BRANDS.len()) % TRADES.len()],
            SUFFIXES[(brand / 7) % SUFFIXES.len()]
        );
        let category = categories[(brand / 3) % categories.len()];
        let product_name = format!(
            "{} {} {}",
            category.name,
            SERIES[brand % SERIES.len()],
            100 + (brand % 900)
        );
        let prefix: String = category
            .id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(3)
            .collect::<String>()
            .to_uppercase();
        let model = format!("{prefix}-{serial:06}");
        let level = 1 + i % 4;
        // 3% expired (valid until last year), 2% suspended, 1% revoked, the rest valid.
        let bucket = i % 100;
        let years = if bucket < 3 {
            -1
        } else {
            1 + i32::from(i % 3 == 0)
        };
        let year = today.add_years(years).year();
        let month = u8::try_from(1 + i % 12).unwrap_or(1);
        let day = u8::try_from(1 + i % 28).unwrap_or(1);
        let valid_until = Date::from_ymd(year, month, day).context("validity date")?;
        let valid_from = Date::from_ymd(year - 3, month, day).context("validity date")?;
        let (state, reason) = match bucket {
            3..=4 => ("suspended", Some("benchmark: suspended")),
            5 => ("revoked", Some("benchmark: revoked")),
            _ => ("valid", None),
        };
        let serial_u64 = u64::try_from(serial)?;
        let registration_id = format
            .format(valid_until, serial_u64)
            .map_err(|error| anyhow::anyhow!("registration id: {error:?}"))?;
        let url_id = to_url_form(&registration_id);
        let label_credential = credential
            .replace(&template_registration, &registration_id)
            .replace(&template_url, &url_id);

        sqlx::query(
            "INSERT INTO applications (id, organisation_id, lab_organisation_id, manufacturer, \
             product_name, model, category, hardware_version, firmware_version, \
             support_period_end, vulnerability_disclosure_url, scheme, target_level, route, \
             state, dossier_json, assessment_json, assessment_error, renews_label_id, version, \
             created_by, created_at, updated_at) \
             SELECT ?1, organisation_id, lab_organisation_id, ?2, ?3, ?4, ?5, \
             hardware_version, firmware_version, support_period_end, \
             vulnerability_disclosure_url, scheme, ?6, route, state, '{}', NULL, NULL, NULL, \
             version, created_by, created_at, updated_at FROM applications WHERE id = ?7",
        )
        .bind(application_id)
        .bind(&manufacturer)
        .bind(&product_name)
        .bind(&model)
        .bind(&category.id)
        .bind(level)
        .bind(template_application)
        .execute(&mut *transaction)
        .await?;
        sqlx::query(
            "INSERT INTO labels (registration_id, url_id, serial, application_id, \
             organisation_id, manufacturer, product_name, model, category, scheme, level, route, \
             valid_from, valid_until, state, suspension_reason, recognitions_json, \
             credential_json, renews_label_id, issued_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, organisation_id, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
             ?14, ?15, ?16, ?17, NULL, ?18, ?18 FROM applications WHERE id = ?4",
        )
        .bind(&registration_id)
        .bind(&url_id)
        .bind(serial)
        .bind(application_id)
        .bind(&manufacturer)
        .bind(&product_name)
        .bind(&model)
        .bind(&category.id)
        .bind(&scheme_id)
        .bind(level)
        .bind(&route)
        .bind(valid_from.to_string())
        .bind(valid_until.to_string())
        .bind(state)
        .bind(reason)
        .bind(&recognitions)
        .bind(&label_credential)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if state == "valid" && bucket >= 3 {
            writeln!(ids, "{url_id}")?;
        }
    }
    transaction.commit().await?;
    // Planner statistics, without ANALYZE's STAT4 samples: with them (this SQLite is built
    // with SQLITE_ENABLE_STAT4), every execution of a statement whose plan could depend on a
    // bound value is re-prepared, which tripled the time of a search. The search plans are
    // the same with sqlite_stat1 alone, or with no statistics (a registry that never ran
    // ANALYZE).
    sqlx::query("ANALYZE").execute(pool).await?;
    sqlx::query("DELETE FROM sqlite_stat4")
        .execute(pool)
        .await?;
    // Fold the write-ahead log into the database file so the server starts on a clean file.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await?;
    std::fs::write(ids_file, ids).with_context(|| format!("writing {ids_file}"))?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM labels")
        .fetch_one(pool)
        .await?
        .try_get("n")?;
    eprintln!(
        "{total} labels ({to_add} added) in {:.1} s; valid label ids in {ids_file}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
