//! Brute-force resistance (EN 303 645 5.1-5): a run of failed logins with random passwords,
//! timed, followed (when a working login is known) by that login, to tell a lock-out, a
//! growing delay, a fixed delay and no protection at all apart.

use std::time::{Duration, Instant};

use crate::login::{Attempt, Authenticator};
use crate::net::random_token;

/// What the failure run showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Resistance {
    /// The service stopped accepting attempts, or refused a known-good login afterwards.
    Locked {
        after_failures: usize,
        evidence: String,
    },
    /// Answers to failures grew slower.
    GrowingDelay { first: Duration, last: Duration },
    /// Every failure is answered only after a fixed pause.
    FixedDelay { delay: Duration },
    /// Every failure was answered quickly and nothing locked.
    None { failures: usize, slowest: Duration },
    /// The run could not be completed (errors before the first failure).
    Unknown(String),
}

/// The run's result with the per-attempt timings (for the coverage line).
#[derive(Debug, Clone)]
pub struct BruteForceRun {
    pub resistance: Resistance,
    pub attempts: usize,
    pub timings: Vec<Duration>,
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

/// A delay is "fixed" protection from this long per failure.
pub const FIXED_DELAY_FLOOR: Duration = Duration::from_millis(1000);

/// Makes `attempts` failed logins for `user`, then tries `known_good` if given.
pub fn assess(
    authenticator: &dyn Authenticator,
    user: &str,
    known_good: Option<&str>,
    attempts: usize,
) -> BruteForceRun {
    let mut timings = Vec::new();
    let mut failures = 0;
    for _ in 0..attempts {
        let password = format!("iotlabel-{}", random_token(12));
        let started = Instant::now();
        let result = authenticator.attempt(user, &password);
        let elapsed = started.elapsed();
        match result {
            Attempt::Rejected => {
                failures += 1;
                timings.push(elapsed);
            }
            Attempt::Dropped(why) | Attempt::Failed(why) => {
                let resistance = if failures > 0 {
                    Resistance::Locked {
                        after_failures: failures,
                        evidence: format!(
                            "after {failures} failed logins the next attempt failed: {why}"
                        ),
                    }
                } else {
                    Resistance::Unknown(why)
                };
                return BruteForceRun {
                    resistance,
                    attempts: failures + 1,
                    timings,
                };
            }
            Attempt::Accepted { .. } | Attempt::Unproven(_) => {
                return BruteForceRun {
                    resistance: Resistance::Unknown("a random password was not rejected".into()),
                    attempts: failures + 1,
                    timings,
                };
            }
        }
    }
    if let Some(password) = known_good {
        match authenticator.attempt(user, password) {
            Attempt::Accepted { .. } => {}
            other => {
                return BruteForceRun {
                    resistance: Resistance::Locked {
                        after_failures: failures,
                        evidence: format!(
                            "after {failures} failed logins the working login {user}:{password} was refused ({other:?})"
                        ),
                    },
                    attempts: failures + 1,
                    timings,
                };
            }
        }
    }
    let window = (timings.len() / 3).max(1);
    let first = median(timings.get(..window).unwrap_or_default());
    let last = median(
        timings
            .get(timings.len().saturating_sub(window)..)
            .unwrap_or_default(),
    );
    let resistance = if timings.len() >= 3 && last > first * 2 + Duration::from_millis(500) {
        Resistance::GrowingDelay { first, last }
    } else if median(&timings) >= FIXED_DELAY_FLOOR {
        Resistance::FixedDelay {
            delay: median(&timings),
        }
    } else {
        Resistance::None {
            failures,
            slowest: timings.iter().max().copied().unwrap_or_default(),
        }
    };
    BruteForceRun {
        resistance,
        attempts: failures + usize::from(known_good.is_some()),
        timings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Locking {
        limit: usize,
        failures: AtomicUsize,
    }

    impl Authenticator for Locking {
        fn attempt(&self, _user: &str, password: &str) -> Attempt {
            let failures = self.failures.load(Ordering::SeqCst);
            if password == "good" && failures < self.limit {
                return Attempt::Accepted { proof: "ok".into() };
            }
            self.failures.fetch_add(1, Ordering::SeqCst);
            Attempt::Rejected
        }
    }

    #[test]
    fn lockout_is_seen_through_the_known_good_login() {
        let locking = Locking {
            limit: 3,
            failures: AtomicUsize::new(0),
        };
        let run = assess(&locking, "admin", Some("good"), 5);
        assert!(matches!(
            run.resistance,
            Resistance::Locked {
                after_failures: 5,
                ..
            }
        ));
        let open = Locking {
            limit: 100,
            failures: AtomicUsize::new(0),
        };
        let run = assess(&open, "admin", Some("good"), 5);
        assert!(matches!(
            run.resistance,
            Resistance::None { failures: 5, .. }
        ));
    }
}
