//! Label search through the indexes of migration 0003 (FTS5 trigram on SQLite, pg_trgm on
//! PostgreSQL) returns exactly what a naive filter over the same labels returns: a table of
//! queries (texts of one and two characters, LIKE wildcards, Unicode, case differences,
//! combined filters, paging) and a proptest of random ones, on both backends; on PostgreSQL
//! also with sequential and plain index scans switched off, so the trigram indexes answer.
//! Also: the FTS table follows inserts, updates and deletes, labels stored before the
//! migration are found (backfill), and the total is capped for broad searches.

#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::sync::Arc;

use iotlabel_core::Catalog;
use iotlabel_registry::service::{LabelSearch, SEARCH_TOTAL_CAP};
use iotlabel_registry::store::{Backend, LabelQuery, LabelRecord, LabelState, Store};
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::{Clock, Registry, RegistrySettings, SqlStore};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sqlx::AnyPool;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const TODAY: &str = "2026-06-01";

/// Manufacturer, product name, model: texts that make case, Unicode and wildcards matter.
const PRODUCTS: &[(&str, &str, &str)] = &[
    (
        "Northwind Networks Pte Ltd",
        "Smart Camera Pro",
        "NW-CAM-100",
    ),
    ("northwind networks pte ltd", "camera", "nw-cam-101"),
    ("NORTHWIND NETWORKS PTE LTD", "CAMERA MAX", "NW_CAM_102"),
    ("Éclair Électronique SA", "Caméra Éclair", "ÉC-1"),
    ("éclair électronique sa", "caméra éclair", "éc-2"),
    ("Straße Geräte GmbH", "Türklingel", "STRASSE-1"),
    ("İstanbul Akıllı Ev", "Kapı Kilidi", "IST-1"),
    ("東京カメラ株式会社", "ネットワークカメラ", "TK-1"),
    ("100% Pure_Devices Ltd", "50%_off lock", "P%_1"),
    ("Back\\slash Co", "Quote \"Hub\"", "Q-\"1\""),
    ("Ab", "a", "b"),
    ("Emoji 😀 Labs", "Smile 😀😀 Cam", "EM-😀"),
    ("Σίσυφος ΑΕ", "ΣΊΣΥΦΟΣ", "ΣΣ-1"),
    ("\u{212A}elvin Ltd", "temp K", "K-1"),
    ("  Spaces  Ltd", "a  b", "x y"),
    ("Lumen Networks Pte Ltd", "Wi-Fi Router AX", "LU-AX3000"),
];
const CATEGORIES: &[&str] = &["wifi-router", "smart-lock", "ip-camera"];
const STATES: &[&str] = &["valid", "valid", "suspended", "valid", "revoked"];
const VALID_UNTIL: &[&str] = &["2027-01-01", "2026-06-01", "2026-05-31", "2025-12-31"];

/// Texts searched for, alone and with filters.
const TEXTS: &[&str] = &[
    "camera",
    "CAMERA",
    "Camera",
    "cam",
    "ca",
    "c",
    "C",
    "am",
    "éclair",
    "ÉCLAIR",
    "Éclair",
    "clair",
    "ÉC",
    "éc",
    "straße",
    "STRASSE",
    "ß",
    "ı",
    "İ",
    "i",
    "東京",
    "カメラ",
    "%",
    "_",
    "%_",
    "50%",
    "p%_1",
    "\\",
    "\"",
    "\"hub\"",
    "😀",
    "😀😀",
    "m 😀",
    "σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "k",
    "\u{212A}",
    "a  b",
    "  spaces",
    "pte ltd",
    "T/00",
    "T/0001",
    "xyz-nothing",
    "%cam%",
    "c_m",
    "nw_cam",
    "nw-cam-1",
    "a\0b",
    "Q-\"1",
    "\u{0}",
];

fn sql(backend: Backend, text: &str) -> String {
    match backend {
        Backend::Sqlite => text.replace('$', "?"),
        Backend::Postgres => text.to_owned(),
    }
}

/// Inserts an organisation, a user and one application per label, then the labels (with the
/// given texts), by SQL: the search reads only the labels table.
async fn insert_labels(
    pool: &AnyPool,
    backend: Backend,
    first_serial: i64,
    labels: &[(String, String, String, &str, i64, &str, &str)],
) {
    let mut transaction = pool.begin().await.unwrap();
    let organisation: i64 = sqlx::query(&sql(
        backend,
        "INSERT INTO organisations (name, kind, created_at) VALUES ($1, 'manufacturer', 0) \
         RETURNING id",
    ))
    .bind(format!("Search Test Org {first_serial}"))
    .fetch_one(&mut *transaction)
    .await
    .map(|row| sqlx::Row::get(&row, "id"))
    .unwrap();
    let user: i64 = sqlx::query(&sql(
        backend,
        "INSERT INTO users (email, display_name, role, organisation_id, password_hash, \
         created_at) VALUES ($1, 'Search Test', 'manufacturer', $2, 'x', 0) RETURNING id",
    ))
    .bind(format!("search{first_serial}@example.com"))
    .bind(organisation)
    .fetch_one(&mut *transaction)
    .await
    .map(|row| sqlx::Row::get(&row, "id"))
    .unwrap();
    for (i, (manufacturer, product, model, category, level, state, valid_until)) in
        labels.iter().enumerate()
    {
        let serial = first_serial + i64::try_from(i).unwrap();
        let application: i64 = sqlx::query(&sql(
            backend,
            "INSERT INTO applications (organisation_id, manufacturer, product_name, model, \
             category, scheme, target_level, route, state, dossier_json, version, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'cls-iot', $6, 'standard', \
             'approved', '{}', 1, $7, 0, 0) RETURNING id",
        ))
        .bind(organisation)
        .bind(manufacturer.clone())
        .bind(product.clone())
        .bind(model.clone())
        .bind(category.to_string())
        .bind(*level)
        .bind(user)
        .fetch_one(&mut *transaction)
        .await
        .map(|row| sqlx::Row::get(&row, "id"))
        .unwrap();
        sqlx::query(&sql(
            backend,
            "INSERT INTO labels (registration_id, url_id, serial, application_id, \
             organisation_id, manufacturer, product_name, model, category, scheme, level, \
             route, valid_from, valid_until, state, recognitions_json, issued_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'cls-iot', $10, 'standard', \
             '2024-01-01', $11, $12, '[]', 0, 0)",
        ))
        .bind(format!("T/{serial:04}/Ω{}", serial % 7))
        .bind(format!("T-{serial:04}"))
        .bind(serial)
        .bind(application)
        .bind(organisation)
        .bind(manufacturer.clone())
        .bind(product.clone())
        .bind(model.clone())
        .bind(category.to_string())
        .bind(*level)
        .bind(valid_until.to_string())
        .bind(state.to_string())
        .execute(&mut *transaction)
        .await
        .unwrap();
    }
    transaction.commit().await.unwrap();
}

/// The test data: every product in several categories, levels, states and validities.
fn test_labels() -> Vec<(
    String,
    String,
    String,
    &'static str,
    i64,
    &'static str,
    &'static str,
)> {
    let mut labels = Vec::new();
    for round in 0..3 {
        for (i, (manufacturer, product, model)) in PRODUCTS.iter().enumerate() {
            let n = i + round * PRODUCTS.len();
            labels.push((
                manufacturer.to_string(),
                product.to_string(),
                format!("{model}{}", ["", "-b", "-ç"][round]),
                CATEGORIES[n % CATEGORIES.len()],
                1 + i64::try_from(n % 4).unwrap(),
                STATES[n % STATES.len()],
                VALID_UNTIL[(n / 2) % VALID_UNTIL.len()],
            ));
        }
    }
    labels
}

/// What the search must return, computed over all labels without SQL: substring of any of the
/// four texts and equal manufacturer, ignoring ASCII case only; wildcards and NUL dropped.
fn naive(labels: &[LabelRecord], query: &LabelQuery) -> (Vec<i64>, i64) {
    let text = query.text.as_ref().map(|text| {
        text.chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\' | '\0'))
            .collect::<String>()
            .to_ascii_lowercase()
    });
    let matching: Vec<i64> = labels
        .iter()
        .filter(|label| {
            let text_ok = text.as_ref().is_none_or(|text| {
                [
                    &label.manufacturer,
                    &label.product_name,
                    &label.model,
                    &label.registration_id,
                ]
                .iter()
                .any(|column| column.to_ascii_lowercase().contains(text.as_str()))
            });
            let manufacturer_ok = query
                .manufacturer
                .as_ref()
                .is_none_or(|manufacturer| label.manufacturer.eq_ignore_ascii_case(manufacturer));
            let category_ok = query
                .category
                .as_ref()
                .is_none_or(|category| &label.category == category);
            let level_ok = query.level.is_none_or(|level| label.level == level);
            let status_ok = match query.status.as_deref() {
                None => true,
                Some("valid") => {
                    label.state == LabelState::Valid && label.valid_until.as_str() >= TODAY
                }
                Some("expired") => {
                    label.state == LabelState::Valid && label.valid_until.as_str() < TODAY
                }
                Some(state) => label.state.as_str() == state,
            };
            text_ok && manufacturer_ok && category_ok && level_ok && status_ok
        })
        .map(|label| label.id)
        .collect();
    let total = i64::try_from(matching.len()).unwrap();
    let offset = usize::try_from(query.offset).unwrap();
    let limit = usize::try_from(query.limit).unwrap();
    (
        matching.into_iter().skip(offset).take(limit).collect(),
        total,
    )
}

/// Runs `query` through the store and the naive filter; describes any difference.
async fn compare(
    store: &SqlStore,
    labels: &[LabelRecord],
    query: &LabelQuery,
) -> Result<(), String> {
    let hits = store
        .search_labels(query)
        .await
        .map_err(|error| format!("{query:?}: {error}"))?;
    let got: Vec<i64> = hits.labels.iter().map(|label| label.id).collect();
    let (expected, total) = naive(labels, query);
    if got != expected || hits.total != total || hits.total_is_capped {
        return Err(format!(
            "{query:?}: got {got:?} (total {}, capped {}), expected {expected:?} (total {total})",
            hits.total, hits.total_is_capped
        ));
    }
    if hits
        .labels
        .iter()
        .any(|label| label.credential_json.is_some())
    {
        return Err(format!("{query:?}: search read the credential"));
    }
    Ok(())
}

fn query(text: Option<&str>) -> LabelQuery {
    LabelQuery {
        text: text.map(str::to_owned),
        today: TODAY.to_owned(),
        limit: 100,
        offset: 0,
        ..LabelQuery::default()
    }
}

/// Every text alone, with each filter, and paged; then random queries.
async fn search_matches_the_naive_filter(url: &str) {
    let store = SqlStore::connect(url).await.unwrap();
    let backend = store.backend();
    insert_labels(store.pool(), backend, 1, &test_labels()).await;
    let labels = store.labels_after(0, 10_000).await.unwrap();
    assert_eq!(labels.len(), 3 * PRODUCTS.len());

    let mut queries = Vec::new();
    for text in TEXTS.iter().map(Some).chain([None]) {
        queries.push(query(text.copied()));
        for category in CATEGORIES {
            queries.push(LabelQuery {
                category: Some(category.to_string()),
                ..query(text.copied())
            });
        }
        for level in 1..=4 {
            queries.push(LabelQuery {
                level: Some(level),
                ..query(text.copied())
            });
        }
        for status in ["valid", "expired", "suspended", "revoked"] {
            queries.push(LabelQuery {
                status: Some(status.to_owned()),
                category: Some("smart-lock".to_owned()),
                ..query(text.copied())
            });
        }
        for manufacturer in [
            "NORTHWIND NETWORKS PTE LTD",
            "éclair électronique sa",
            "ÉCLAIR ÉLECTRONIQUE SA",
            "straße geräte gmbh",
            "  spaces  ltd",
            "northwind",
        ] {
            queries.push(LabelQuery {
                manufacturer: Some(manufacturer.to_owned()),
                ..query(text.copied())
            });
        }
        for (limit, offset) in [(2, 0), (2, 2), (3, 4), (1, 40), (5, 1000)] {
            queries.push(LabelQuery {
                limit,
                offset,
                ..query(text.copied())
            });
        }
    }
    let mut failures = Vec::new();
    for query in &queries {
        if let Err(failure) = compare(&store, &labels, query).await {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries differ:\n{}",
        failures.len(),
        queries.len(),
        failures.join("\n")
    );
    // The table must exercise both paths: matches for short and long texts.
    let hits = |text: &str| naive(&labels, &query(Some(text))).0;
    assert!(
        [hits("ca"), hits("camera"), hits("éclair"), hits("😀😀")]
            .iter()
            .all(|ids| !ids.is_empty())
    );
    assert_eq!(hits("ÉCLAIR"), hits("Éclair"), "ASCII case is ignored");
    assert_ne!(hits("ÉCLAIR"), hits("éclair"), "non-ASCII case is exact");

    // Random texts from an alphabet of letters in both cases, accents, wildcards, quotes and
    // spaces, with random filters and paging.
    let alphabet = prop::sample::select(vec![
        'a', 'A', 'c', 'C', 'm', 'M', 'e', 'E', 'r', 'R', 'n', 'N', 'w', 'W', 'é', 'É', 'ç', 'ß',
        'ı', '😀', 'カ', 'メ', 'ラ', '%', '_', '\\', '"', ' ', '-', '1', '0', 'Σ', 'σ', '/',
    ]);
    let strategy = (
        prop::collection::vec(alphabet, 0..6),
        prop::option::of(prop::sample::select(CATEGORIES.to_vec())),
        prop::option::of(1i64..=4),
        prop::option::of(prop::sample::select(vec![
            "valid",
            "expired",
            "suspended",
            "revoked",
        ])),
        1i64..6,
        0i64..12,
    );
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(
            &strategy,
            |(text, category, level, status, limit, offset)| {
                let query = LabelQuery {
                    text: Some(text.into_iter().collect()),
                    category: category.map(str::to_owned),
                    level,
                    status: status.map(str::to_owned),
                    limit,
                    offset,
                    ..query(None)
                };
                handle
                    .block_on(compare(&store, &labels, &query))
                    .map_err(TestCaseError::fail)
            },
        )
    });
    if let Err(error) = result {
        panic!("{backend:?}: {error}");
    }
}

/// The FTS table follows the labels table: an update of a searchable column, a state change
/// (no re-index) and a delete.
async fn the_text_index_follows_changes(url: &str) {
    let store = SqlStore::connect(url).await.unwrap();
    let backend = store.backend();
    insert_labels(store.pool(), backend, 1, &test_labels()).await;
    let ids = |hits: iotlabel_registry::store::LabelHits| -> Vec<i64> {
        hits.labels.iter().map(|label| label.id).collect()
    };
    let lumen = ids(store
        .search_labels(&query(Some("lu-ax3000")))
        .await
        .unwrap());
    assert_eq!(lumen.len(), 3);
    sqlx::query(&sql(
        backend,
        "UPDATE labels SET model = 'Renamed-Qwerty', state = 'suspended' WHERE id = $1",
    ))
    .bind(lumen[0])
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(&sql(
        backend,
        "UPDATE labels SET state = 'revoked' WHERE id = $1",
    ))
    .bind(lumen[1])
    .execute(store.pool())
    .await
    .unwrap();
    assert_eq!(
        ids(store
            .search_labels(&query(Some("LU-AX3000")))
            .await
            .unwrap()),
        lumen[1..]
    );
    assert_eq!(
        ids(store.search_labels(&query(Some("qwerty"))).await.unwrap()),
        [lumen[0]]
    );
    let revoked = LabelQuery {
        status: Some("revoked".to_owned()),
        ..query(Some("AX3000"))
    };
    assert_eq!(
        ids(store.search_labels(&revoked).await.unwrap()),
        [lumen[1]]
    );
    sqlx::query(&sql(backend, "DELETE FROM labels WHERE id = $1"))
        .bind(lumen[2])
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(
        ids(store.search_labels(&query(Some("ax3000"))).await.unwrap()),
        [lumen[1]]
    );
    // The lookup reads the public columns only.
    let label = store.get_public_label("T/0001/Ω1").await.unwrap().unwrap();
    assert_eq!(label.model, "NW-CAM-100");
    assert_eq!(label.credential_json, None);
    assert!(store.get_public_label("T/9999/Ω0").await.unwrap().is_none());
}

/// Labels stored before migration 0003 are in its text index.
async fn labels_before_the_migration_are_found(url: &str, backend: Backend) {
    sqlx::any::install_default_drivers();
    let directory = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let files: [(i64, &str, &str); 2] = match backend {
        Backend::Sqlite => [
            (
                1,
                "initial",
                include_str!("../migrations/sqlite/0001_initial.sql"),
            ),
            (
                2,
                "transparency log",
                include_str!("../migrations/sqlite/0002_transparency_log.sql"),
            ),
        ],
        Backend::Postgres => [
            (
                1,
                "initial",
                include_str!("../migrations/postgres/0001_initial.sql"),
            ),
            (
                2,
                "transparency log",
                include_str!("../migrations/postgres/0002_transparency_log.sql"),
            ),
        ],
    };
    let released = Migrator {
        migrations: Cow::Owned(
            files
                .iter()
                .map(|(version, description, text)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*text),
                        false,
                    )
                })
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    let pool = AnyPool::connect(url).await.unwrap();
    released.run(&pool).await.unwrap();
    insert_labels(&pool, backend, 1, &test_labels()).await;
    pool.close().await;

    let store = SqlStore::connect(url).await.unwrap();
    let labels = store.labels_after(0, 10_000).await.unwrap();
    for text in ["camera", "éclair", "ネットワーク", "T/0004", "ca"] {
        compare(&store, &labels, &query(Some(text)))
            .await
            .unwrap_or_else(|failure| panic!("{directory}: {failure}"));
    }
    assert!(naive(&labels, &query(Some("ネットワーク"))).1 > 0);
}

/// A broad search stops counting at the cap (and past the requested page); an exact total
/// is there for those who ask; narrow searches are exact.
async fn broad_searches_have_a_capped_total(url: &str) {
    let store = SqlStore::connect(url).await.unwrap();
    let backend = store.backend();
    let many = usize::try_from(SEARCH_TOTAL_CAP).unwrap() + 150;
    let labels: Vec<_> = (0..many)
        .map(|i| {
            (
                format!("Brand {} Ltd", i % 3),
                format!("Camera {i}"),
                format!("M-{i:05}"),
                CATEGORIES[i % 3],
                1 + i64::try_from(i % 4).unwrap(),
                "valid",
                "2030-01-01",
            )
        })
        .collect();
    insert_labels(store.pool(), backend, 1, &labels).await;
    let catalog = Arc::new(Catalog::embedded().unwrap());
    let registry = Registry::new(
        store,
        catalog,
        Clock::manual(iotlabel_registry::service::unix_at(TODAY.parse().unwrap())),
        RegistrySettings::default(),
    );
    let search = |q: Option<&str>, page: i64, exact_total: bool| LabelSearch {
        q: q.map(str::to_owned),
        page: Some(page),
        per_page: Some(20),
        exact_total,
        ..LabelSearch::default()
    };
    for q in [None, Some("camera"), Some("m-")] {
        let first = registry.search_labels(&search(q, 1, false)).await.unwrap();
        assert_eq!(
            (first.total, first.total_is_capped),
            (SEARCH_TOTAL_CAP, true)
        );
        assert_eq!(first.labels.len(), 20);
        // Page 51 ends at 1,020: the count goes one past it, so a client paging until
        // "fetched >= total" goes on.
        let deep = registry.search_labels(&search(q, 51, false)).await.unwrap();
        assert_eq!((deep.total, deep.total_is_capped), (1021, true));
        let exact = registry.search_labels(&search(q, 1, true)).await.unwrap();
        assert_eq!(
            (exact.total, exact.total_is_capped),
            (i64::try_from(many).unwrap(), false)
        );
        // The last page is short, so its total is exact without a count.
        let last = registry.search_labels(&search(q, 58, false)).await.unwrap();
        assert_eq!(
            (last.total, last.total_is_capped, last.labels.len()),
            (1150, false, 10)
        );
        // Past the end: empty, and the total still right.
        let past = registry.search_labels(&search(q, 70, false)).await.unwrap();
        assert_eq!(
            (past.total, past.total_is_capped, past.labels.len()),
            (1150, false, 0)
        );
    }
    let narrow = registry
        .search_labels(&search(Some("m-0004"), 1, false))
        .await
        .unwrap();
    assert_eq!((narrow.total, narrow.total_is_capped), (10, false));
}

/// A PostgreSQL URL whose connections may not scan tables or plain indexes: text searches
/// then go through the trigram GIN indexes (bitmap scans).
fn trigram_indexes_only(url: &str) -> String {
    format!("{url}%20-c%20enable_seqscan%3Doff%20-c%20enable_indexscan%3Doff")
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn search_matches_the_naive_filter() {
        let database = TestDatabase::sqlite();
        super::search_matches_the_naive_filter(&database.url).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_text_index_follows_changes() {
        let database = TestDatabase::sqlite();
        super::the_text_index_follows_changes(&database.url).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn labels_before_the_migration_are_found() {
        let database = TestDatabase::sqlite();
        super::labels_before_the_migration_are_found(&database.url, Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn broad_searches_have_a_capped_total() {
        let database = TestDatabase::sqlite();
        super::broad_searches_have_a_capped_total(&database.url).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn search_matches_the_naive_filter() {
        let Some(database) = TestDatabase::postgres().await else {
            return;
        };
        super::search_matches_the_naive_filter(&database.url).await;
        database.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn search_matches_the_naive_filter_through_the_trigram_indexes() {
        let Some(database) = TestDatabase::postgres().await else {
            return;
        };
        super::search_matches_the_naive_filter(&trigram_indexes_only(&database.url)).await;
        database.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_text_index_follows_changes() {
        let Some(database) = TestDatabase::postgres().await else {
            return;
        };
        super::the_text_index_follows_changes(&database.url).await;
        database.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn labels_before_the_migration_are_found() {
        let Some(database) = TestDatabase::postgres().await else {
            return;
        };
        super::labels_before_the_migration_are_found(&database.url, Backend::Postgres).await;
        database.cleanup().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn broad_searches_have_a_capped_total() {
        let Some(database) = TestDatabase::postgres().await else {
            return;
        };
        super::broad_searches_have_a_capped_total(&database.url).await;
        database.cleanup().await;
    }
}
