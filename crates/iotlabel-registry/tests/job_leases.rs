//! Job leases on both backends (SQLite file, PostgreSQL schema; PostgreSQL skipped with a
//! message when unreachable, failing under CI=true): a job whose worker dies on its last
//! attempt becomes `failed` with an error saying the worker stopped responding, instead of
//! staying `running` forever (issue 4).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use iotlabel_core::Catalog;
use iotlabel_registry::jobs::{self, LEASE_SECONDS, MAX_ATTEMPTS};
use iotlabel_registry::test_support::TestDatabase;
use iotlabel_registry::{Clock, Registry, RegistrySettings, SqlStore, Store};

/// Two attempts, both workers die: after the second lease the job is failed, and not before.
async fn a_job_dying_on_its_last_attempt_fails(store: &SqlStore) {
    let id = store.enqueue_job("noop", "{}", 2, 100).await.unwrap();
    let first = store.claim_job("worker-a", 100, 30).await.unwrap().unwrap();
    assert_eq!((first.id, first.attempts), (id, 1));
    // worker-a dies; its lease (until 130) runs out and worker-b takes the last attempt.
    let second = store.claim_job("worker-b", 131, 30).await.unwrap().unwrap();
    assert_eq!((second.id, second.attempts), (id, 2));
    // worker-b dies too. Until its lease ends at 161 the job is still its own.
    assert!(
        store
            .claim_job("worker-c", 161, 30)
            .await
            .unwrap()
            .is_none()
    );
    let running = store.get_job(id).await.unwrap().unwrap();
    assert_eq!(running.state, "running");
    assert_eq!(running.locked_by.as_deref(), Some("worker-b"));
    // After the lease the next claim fails it (and takes nothing: no attempts are left).
    assert!(
        store
            .claim_job("worker-c", 162, 30)
            .await
            .unwrap()
            .is_none()
    );
    let failed = store.get_job(id).await.unwrap().unwrap();
    assert_eq!(failed.state, "failed");
    assert_eq!(failed.attempts, 2);
    // The silent worker stays named, with the lease it let run out.
    assert_eq!(failed.locked_by.as_deref(), Some("worker-b"));
    assert_eq!(failed.locked_until, Some(161));
    assert_eq!(
        failed.last_error.as_deref(),
        Some(
            "the worker worker-b stopped responding during the last of 2 attempts (its lease \
             expired); queue a new job of this kind to retry"
        )
    );
    // Another worker cannot report on it; worker-b, only slow after all, still can: its
    // own error replaces the guess, and the job stays failed (no attempts left).
    assert!(!store.complete_job(id, "worker-c", 170).await.unwrap());
    assert!(
        !store
            .fail_job(id, "worker-c", "not mine", 200, 170)
            .await
            .unwrap()
    );
    assert!(
        store
            .fail_job(id, "worker-b", "timed out upstream", 200, 170)
            .await
            .unwrap()
    );
    let reported = store.get_job(id).await.unwrap().unwrap();
    assert_eq!(reported.state, "failed");
    assert_eq!(reported.last_error.as_deref(), Some("timed out upstream"));
    assert_eq!((reported.locked_by, reported.locked_until), (None, None));
    // Once failed by its worker, nobody can report again, and no claim takes it.
    assert!(!store.complete_job(id, "worker-b", 171).await.unwrap());
    assert!(
        store
            .claim_job("worker-c", 10_000, 30)
            .await
            .unwrap()
            .is_none()
    );
}

/// The error of an earlier attempt is kept after the new one; other jobs are untouched: one
/// still within its lease, one with attempts left (claimed again, not failed). A late
/// completion by the silent worker still counts.
async fn the_sweep_keeps_the_earlier_error_and_spares_other_jobs(store: &SqlStore) {
    let exhausted = store.enqueue_job("noop", "{}", 2, 100).await.unwrap();
    store.claim_job("worker-a", 100, 30).await.unwrap().unwrap();
    assert!(
        store
            .fail_job(exhausted, "worker-a", "disk full", 110, 105)
            .await
            .unwrap()
    );
    let last = store.claim_job("worker-b", 110, 30).await.unwrap().unwrap();
    assert_eq!((last.id, last.attempts), (exhausted, 2));

    let retried = store.enqueue_job("noop", "{}", 3, 100).await.unwrap();
    let taken = store.claim_job("worker-c", 110, 30).await.unwrap().unwrap();
    assert_eq!(taken.id, retried);
    let busy = store.enqueue_job("noop", "{}", 1, 100).await.unwrap();
    let taken = store
        .claim_job("worker-d", 130, 600)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.id, busy);

    // At 141 the leases of worker-b and worker-c have run out, worker-d's has not.
    let again = store.claim_job("worker-e", 141, 30).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (retried, 2));
    let failed = store.get_job(exhausted).await.unwrap().unwrap();
    assert_eq!(failed.state, "failed");
    assert_eq!(
        failed.last_error.as_deref(),
        Some(
            "the worker worker-b stopped responding during the last of 2 attempts (its lease \
             expired); queue a new job of this kind to retry; the attempt before failed with: disk full"
        )
    );
    let busy = store.get_job(busy).await.unwrap().unwrap();
    assert_eq!(
        (busy.state.as_str(), busy.locked_by.as_deref()),
        ("running", Some("worker-d"))
    );
    assert!(store.complete_job(busy.id, "worker-d", 150).await.unwrap());
    // worker-b finishes late after all: the job it was given up on is done.
    assert!(
        store
            .complete_job(exhausted, "worker-b", 150)
            .await
            .unwrap()
    );
    let done = store.get_job(exhausted).await.unwrap().unwrap();
    assert_eq!((done.state.as_str(), done.locked_by), ("done", None));
}

/// Through the registry: every attempt's worker dies, and the next `run_next_job` (as the
/// server's worker loop calls it) fails the job rather than leaving it running.
async fn the_registry_worker_fails_an_abandoned_job(url: &str) {
    let store = SqlStore::connect(url).await.unwrap();
    let catalog = Arc::new(Catalog::embedded().unwrap());
    let start = 1_800_000_000;
    let registry = Registry::new(
        store,
        catalog,
        Clock::manual(start),
        RegistrySettings::default(),
    );
    let id = registry
        .enqueue_job(jobs::REASSESS_OPEN_APPLICATIONS)
        .await
        .unwrap();
    let mut now = start;
    for attempt in 1..=MAX_ATTEMPTS {
        let claimed = registry
            .store()
            .claim_job(&format!("crashing-{attempt}"), now, LEASE_SECONDS)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((claimed.id, claimed.attempts), (id, attempt));
        now += LEASE_SECONDS + 1;
    }
    registry.clock().set(now);
    assert!(registry.run_next_job("survivor").await.unwrap().is_none());
    let job = registry.store().get_job(id).await.unwrap().unwrap();
    assert_eq!(job.state, "failed");
    assert_eq!(job.attempts, MAX_ATTEMPTS);
    let error = job.last_error.unwrap();
    assert!(
        error.starts_with(&format!(
            "the worker crashing-{MAX_ATTEMPTS} stopped responding during the last of \
             {MAX_ATTEMPTS} attempts"
        )),
        "{error}"
    );
    // The queue carries on: a new job is taken and done.
    let next = registry
        .enqueue_job(jobs::REASSESS_OPEN_APPLICATIONS)
        .await
        .unwrap();
    let run = registry.run_next_job("survivor").await.unwrap().unwrap();
    assert_eq!((run.job.id, run.succeeded), (next, true), "{}", run.message);
    assert_eq!(
        registry.store().get_job(next).await.unwrap().unwrap().state,
        "done"
    );
}

async fn on(url: &str) {
    let store = SqlStore::connect(url).await.unwrap();
    a_job_dying_on_its_last_attempt_fails(&store).await;
    let store = SqlStore::connect(url).await.unwrap();
    // A fresh queue for the second scenario: finish what the first left.
    sqlx::query("DELETE FROM jobs")
        .execute(store.pool())
        .await
        .unwrap();
    the_sweep_keeps_the_earlier_error_and_spares_other_jobs(&store).await;
    sqlx::query("DELETE FROM jobs")
        .execute(store.pool())
        .await
        .unwrap();
    the_registry_worker_fails_an_abandoned_job(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_last_attempts_fail_on_sqlite() {
    let database = TestDatabase::sqlite();
    on(&database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_last_attempts_fail_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    on(&database.url).await;
    database.cleanup().await;
}
