//! Fresh databases for tests (feature `test-support`): a SQLite file in a temporary folder, or
//! a new schema in the PostgreSQL at 127.0.0.1:5432 (database `test`, trust auth; override
//! with IOTLABEL_TEST_POSTGRES). When PostgreSQL is unreachable the caller skips, except under
//! CI=true, where it fails.

use std::time::Duration;

use sqlx::{Connection, Executor};

use crate::accounts;

pub const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database for one test. Keep it alive for the test's duration.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    /// For PostgreSQL: the admin URL and the schema to drop in [`TestDatabase::cleanup`].
    postgres_schema: Option<(String, String)>,
    _directory: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A SQLite file in a new temporary folder.
    pub fn sqlite() -> TestDatabase {
        let directory = match tempfile::tempdir() {
            Ok(directory) => directory,
            Err(error) => panic!("cannot create a temporary folder: {error}"),
        };
        let url = format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("registry.sqlite").display()
        );
        TestDatabase {
            url,
            postgres_schema: None,
            _directory: Some(directory),
        }
    }

    /// A new schema in the test PostgreSQL, or `None` (after printing why) when it is not
    /// reachable. Panics under CI=true instead of returning `None`.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin = std::env::var("IOTLABEL_TEST_POSTGRES")
            .unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_owned());
        sqlx::any::install_default_drivers();
        let connect =
            tokio::time::timeout(Duration::from_secs(5), sqlx::AnyConnection::connect(&admin))
                .await;
        let mut connection = match connect {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return unreachable_postgres(&error.to_string()),
            Err(_) => return unreachable_postgres("timed out"),
        };
        let suffix = match accounts::random_bytes::<8>() {
            Ok(bytes) => hex::encode(bytes),
            Err(error) => panic!("{error}"),
        };
        let schema = format!("iotlabel_test_{suffix}");
        if let Err(error) = connection
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
        {
            panic!("cannot create schema {schema}: {error}");
        }
        let _ = connection.close().await;
        let separator = if admin.contains('?') { '&' } else { '?' };
        Some(TestDatabase {
            url: format!("{admin}{separator}options=-c%20search_path%3D{schema}"),
            postgres_schema: Some((admin, schema)),
            _directory: None,
        })
    }

    /// Drops the PostgreSQL schema (SQLite folders go with the value).
    pub async fn cleanup(self) {
        if let Some((admin, schema)) = &self.postgres_schema
            && let Ok(mut connection) = sqlx::AnyConnection::connect(admin).await
        {
            let _ = connection
                .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                .await;
            let _ = connection.close().await;
        }
    }
}

fn unreachable_postgres(why: &str) -> Option<TestDatabase> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("PostgreSQL not reachable at 127.0.0.1:5432 ({why}) and CI=true");
    }
    println!("skipping: PostgreSQL not reachable at 127.0.0.1:5432 ({why})");
    None
}
