//! The default-credential engine shared by every protocol: a random-credential negative
//! control first, then the list with a few parallel connections, stopping at the first
//! success per account and backing off when the device drops connections.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::credentials::CredentialPair;
use crate::net::random_token;

/// The result of one login attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Logged in, with the transcript excerpt that proves it.
    Accepted { proof: String },
    /// The service refused the credentials.
    Rejected,
    /// The service seemed to accept but gave no proof (kept out of findings).
    Unproven(String),
    /// The connection was dropped or timed out before an answer: retry after a pause.
    Dropped(String),
    /// The exchange failed in a way a retry will not fix (protocol error).
    Failed(String),
}

/// One protocol's way of trying a login.
pub trait Authenticator: Sync {
    fn attempt(&self, user: &str, password: &str) -> Attempt;
}

/// How the credential run behaves.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub concurrency: usize,
    /// Retries of one pair after a dropped connection.
    pub retries: u32,
    /// The first pause after a drop; doubled on every further drop of the same pair.
    pub backoff: Duration,
}

/// The negative control: a random password for the list's first user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeControl {
    pub user: String,
    pub password: String,
    pub result: Attempt,
}

/// What a credential run found and covered.
#[derive(Debug, Clone)]
pub struct CredentialRun {
    pub control: NegativeControl,
    /// Accepted pairs with their proof, in list order.
    pub accepted: Vec<(CredentialPair, String)>,
    /// Pairs with a definite answer (accepted or rejected).
    pub tried: usize,
    /// Pairs skipped because their account was already found.
    pub skipped_found: usize,
    pub total: usize,
    pub dropped: usize,
    pub unproven: Vec<String>,
    /// Pairs given up on (retries exhausted or protocol failure), with why.
    pub given_up: Vec<String>,
    pub elapsed: Duration,
}

impl CredentialRun {
    /// Whether the control was accepted: the service accepts anything, the run proves nothing.
    pub fn control_accepted(&self) -> bool {
        matches!(self.control.result, Attempt::Accepted { .. })
    }
}

/// The longest single pause after a drop.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The pause before retry number `retry` (0-based): `backoff` doubled each time, capped.
pub fn backoff_pause(backoff: Duration, retry: u32) -> Duration {
    backoff
        .checked_mul(2u32.saturating_pow(retry))
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
}

/// Runs the negative control, then (if it was rejected) the pairs.
pub fn run_credentials(
    authenticator: &dyn Authenticator,
    pairs: &[CredentialPair],
    policy: LoginPolicy,
) -> CredentialRun {
    let started = Instant::now();
    let control_user = pairs
        .first()
        .map(|pair| pair.user.clone())
        .unwrap_or_else(|| "admin".into());
    let control_password = format!("iotlabel-{}", random_token(16));
    let mut control_result = Attempt::Dropped(String::new());
    let mut dropped = 0;
    for retry in 0..=policy.retries {
        control_result = authenticator.attempt(&control_user, &control_password);
        if !matches!(control_result, Attempt::Dropped(_)) {
            break;
        }
        dropped += 1;
        std::thread::sleep(backoff_pause(policy.backoff, retry));
    }
    let control = NegativeControl {
        user: control_user,
        password: control_password,
        result: control_result,
    };
    let mut run = CredentialRun {
        control,
        accepted: Vec::new(),
        tried: 0,
        skipped_found: 0,
        total: pairs.len(),
        dropped,
        unproven: Vec::new(),
        given_up: Vec::new(),
        elapsed: Duration::ZERO,
    };
    if !matches!(run.control.result, Attempt::Rejected) {
        run.elapsed = started.elapsed();
        return run;
    }

    struct Shared {
        found_users: HashSet<String>,
        accepted: Vec<(usize, CredentialPair, String)>,
        tried: usize,
        skipped_found: usize,
        dropped: usize,
        unproven: Vec<String>,
        given_up: Vec<String>,
    }
    let shared = Mutex::new(Shared {
        found_users: HashSet::new(),
        accepted: Vec::new(),
        tried: 0,
        skipped_found: 0,
        dropped: 0,
        unproven: Vec::new(),
        given_up: Vec::new(),
    });
    let next = AtomicUsize::new(0);
    let workers = policy.concurrency.clamp(1, 64).min(pairs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(pair) = pairs.get(index) else {
                        break;
                    };
                    let already_found = shared
                        .lock()
                        .map(|state| state.found_users.contains(&pair.user))
                        .unwrap_or(true);
                    if already_found {
                        if let Ok(mut state) = shared.lock() {
                            state.skipped_found += 1;
                        }
                        continue;
                    }
                    let mut retry = 0;
                    let outcome = loop {
                        let result = authenticator.attempt(&pair.user, &pair.password);
                        match result {
                            Attempt::Dropped(why) => {
                                if let Ok(mut state) = shared.lock() {
                                    state.dropped += 1;
                                }
                                if retry >= policy.retries {
                                    break Attempt::Dropped(why);
                                }
                                std::thread::sleep(backoff_pause(policy.backoff, retry));
                                retry += 1;
                            }
                            other => break other,
                        }
                    };
                    let Ok(mut state) = shared.lock() else {
                        break;
                    };
                    let label = format!("{}:{}", pair.user, pair.password);
                    match outcome {
                        Attempt::Accepted { proof } => {
                            state.tried += 1;
                            state.found_users.insert(pair.user.clone());
                            state.accepted.push((index, pair.clone(), proof));
                        }
                        Attempt::Rejected => state.tried += 1,
                        Attempt::Unproven(why) => {
                            state.tried += 1;
                            state.unproven.push(format!("{label}: {why}"));
                        }
                        Attempt::Dropped(why) => {
                            state.given_up.push(format!("{label}: dropped ({why})"));
                        }
                        Attempt::Failed(why) => state.given_up.push(format!("{label}: {why}")),
                    }
                }
            });
        }
    });
    if let Ok(mut state) = shared.into_inner() {
        state.accepted.sort_by_key(|(index, _, _)| *index);
        run.accepted = state
            .accepted
            .into_iter()
            .map(|(_, pair, proof)| (pair, proof))
            .collect();
        run.tried = state.tried;
        run.skipped_found = state.skipped_found;
        run.dropped += state.dropped;
        run.unproven = state.unproven;
        run.given_up = state.given_up;
    }
    run.elapsed = started.elapsed();
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        good: (&'static str, &'static str),
        any: bool,
        drops: AtomicUsize,
    }

    impl Authenticator for Fake {
        fn attempt(&self, user: &str, password: &str) -> Attempt {
            if self.drops.load(Ordering::SeqCst) > 0 {
                self.drops.fetch_sub(1, Ordering::SeqCst);
                return Attempt::Dropped("reset".into());
            }
            if self.any || (user, password) == self.good {
                Attempt::Accepted {
                    proof: format!("logged in as {user}"),
                }
            } else {
                Attempt::Rejected
            }
        }
    }

    fn pairs() -> Vec<CredentialPair> {
        [("root", "a"), ("root", "b"), ("root", "c"), ("admin", "x")]
            .iter()
            .map(|(user, password)| CredentialPair {
                user: (*user).into(),
                password: (*password).into(),
                list: "test".into(),
            })
            .collect()
    }

    fn policy(concurrency: usize) -> LoginPolicy {
        LoginPolicy {
            concurrency,
            retries: 2,
            backoff: Duration::from_millis(1),
        }
    }

    #[test]
    fn finds_the_default_and_stops_for_that_account() {
        let fake = Fake {
            good: ("root", "a"),
            any: false,
            drops: AtomicUsize::new(0),
        };
        let run = run_credentials(&fake, &pairs(), policy(1));
        assert_eq!(run.control.result, Attempt::Rejected);
        assert_eq!(run.accepted.len(), 1);
        assert_eq!(run.accepted[0].0.password, "a");
        assert_eq!(run.skipped_found, 2);
        assert_eq!(run.tried, 2);
    }

    #[test]
    fn accepting_anything_makes_the_run_indeterminate() {
        let fake = Fake {
            good: ("root", "a"),
            any: true,
            drops: AtomicUsize::new(0),
        };
        let run = run_credentials(&fake, &pairs(), policy(4));
        assert!(run.control_accepted());
        assert!(run.accepted.is_empty());
        assert_eq!(run.tried, 0);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff_pause(base, 0), base);
        assert_eq!(backoff_pause(base, 2), Duration::from_secs(2));
        assert_eq!(backoff_pause(base, 40), MAX_BACKOFF);
        assert_eq!(backoff_pause(Duration::MAX, 3), MAX_BACKOFF);
    }

    #[test]
    fn drops_are_retried_and_counted() {
        let fake = Fake {
            good: ("admin", "x"),
            any: false,
            drops: AtomicUsize::new(2),
        };
        let run = run_credentials(&fake, &pairs(), policy(1));
        assert_eq!(run.dropped, 2);
        assert_eq!(run.accepted.len(), 1);
        assert_eq!(run.tried + run.given_up.len(), 4);
    }
}
