//! The default-credential engine shared by every protocol: a random-credential negative
//! control, the list with a few parallel connections (each worker keeps its connection for
//! the next attempt where the protocol allows it), stopping at the first success per account
//! and backing off when the device drops connections. The control runs on the first worker
//! while the others start the list; nothing is reported until the control is known.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
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
    /// One attempt on a connection of its own (opened and closed by the call).
    fn attempt(&self, user: &str, password: &str) -> Attempt;

    /// A worker's run of attempts. Protocols that allow another try on the same connection
    /// after a failure override this to keep the connection; the default opens one per
    /// attempt. Every attempt of a session is judged exactly as `attempt` judges it.
    fn session(&self) -> Box<dyn LoginSession + '_> {
        Box::new(FreshConnections(self))
    }
}

/// Attempts made one after the other by one worker, possibly on one connection.
pub trait LoginSession {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt;
}

/// The default session: a new connection for every attempt.
struct FreshConnections<'a, A: Authenticator + ?Sized>(&'a A);

impl<A: Authenticator + ?Sized> LoginSession for FreshConnections<'_, A> {
    fn attempt(&mut self, user: &str, password: &str) -> Attempt {
        self.0.attempt(user, password)
    }
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

/// What the workers share while a run is under way.
struct Shared {
    control: Option<Attempt>,
    control_dropped: usize,
    found_users: HashSet<String>,
    accepted: Vec<(usize, CredentialPair, String)>,
    tried: usize,
    skipped_found: usize,
    dropped: usize,
    unproven: Vec<String>,
    given_up: Vec<String>,
}

/// Records the control's result when the first worker ends, even by a panic, so that the
/// workers waiting for it are released.
struct ControlSlot<'a> {
    shared: &'a Mutex<Shared>,
    known: &'a Condvar,
    stop: &'a AtomicBool,
    result: Option<(Attempt, usize)>,
}

impl Drop for ControlSlot<'_> {
    fn drop(&mut self) {
        let (result, drops) = self.result.take().unwrap_or_else(|| {
            (
                Attempt::Failed("the negative control did not finish".into()),
                0,
            )
        });
        if !matches!(result, Attempt::Rejected) {
            self.stop.store(true, Ordering::SeqCst);
        }
        let mut state = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.control = Some(result);
        state.control_dropped = drops;
        self.known.notify_all();
    }
}

/// Makes one attempt, retrying (after a growing pause) while the connection is dropped.
/// Returns the outcome and the number of drops seen.
fn attempt_with_retries(
    session: &mut dyn LoginSession,
    user: &str,
    password: &str,
    policy: LoginPolicy,
) -> (Attempt, usize) {
    let mut drops = 0;
    let mut retry = 0;
    loop {
        match session.attempt(user, password) {
            Attempt::Dropped(why) => {
                drops += 1;
                if retry >= policy.retries {
                    return (Attempt::Dropped(why), drops);
                }
                std::thread::sleep(backoff_pause(policy.backoff, retry));
                retry += 1;
            }
            other => return (other, drops),
        }
    }
}

/// Runs the negative control and the pairs. The control is the first worker's first
/// attempt; the other workers make one attempt each meanwhile (the first batch) and then wait
/// for it. When the control is not rejected the workers stop and nothing from the list is
/// reported (the service proves nothing).
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
    let shared = Mutex::new(Shared {
        control: None,
        control_dropped: 0,
        found_users: HashSet::new(),
        accepted: Vec::new(),
        tried: 0,
        skipped_found: 0,
        dropped: 0,
        unproven: Vec::new(),
        given_up: Vec::new(),
    });
    // Set once the control came back anything but rejected: the list is pointless.
    let stop = AtomicBool::new(false);
    let known = Condvar::new();
    let next = AtomicUsize::new(0);
    // The control is one more attempt: a one-pair list still gets two workers.
    let workers = policy.concurrency.clamp(1, 64).min(pairs.len() + 1);
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (shared, stop, next, known) = (&shared, &stop, &next, &known);
            let (control_user, control_password) = (&control_user, &control_password);
            scope.spawn(move || {
                let mut session = authenticator.session();
                if worker == 0 {
                    let mut slot = ControlSlot {
                        shared,
                        known,
                        stop,
                        result: None,
                    };
                    slot.result = Some(attempt_with_retries(
                        session.as_mut(),
                        control_user,
                        control_password,
                        policy,
                    ));
                }
                let mut attempts_made = 0;
                loop {
                    if attempts_made == 1 && worker != 0 {
                        // One attempt beside the control; the rest waits for its answer.
                        let Ok(state) = shared.lock() else {
                            break;
                        };
                        if known
                            .wait_while(state, |state| state.control.is_none())
                            .is_err()
                        {
                            break;
                        }
                    }
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
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
                    let (outcome, drops) =
                        attempt_with_retries(session.as_mut(), &pair.user, &pair.password, policy);
                    attempts_made += 1;
                    let Ok(mut state) = shared.lock() else {
                        break;
                    };
                    state.dropped += drops;
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
    let state = shared
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let control_result = state
        .control
        .unwrap_or_else(|| Attempt::Failed("the negative control was not run".into()));
    let control_rejected = matches!(control_result, Attempt::Rejected);
    let mut accepted = state.accepted;
    accepted.sort_by_key(|(index, _, _)| *index);
    CredentialRun {
        control: NegativeControl {
            user: control_user,
            password: control_password,
            result: control_result,
        },
        // Judged only against a rejected control: otherwise an acceptance proves nothing.
        accepted: if control_rejected {
            accepted
                .into_iter()
                .map(|(_, pair, proof)| (pair, proof))
                .collect()
        } else {
            Vec::new()
        },
        tried: state.tried,
        skipped_found: state.skipped_found,
        total: pairs.len(),
        dropped: state.control_dropped + state.dropped,
        unproven: if control_rejected {
            state.unproven
        } else {
            Vec::new()
        },
        given_up: state.given_up,
        elapsed: started.elapsed(),
    }
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
        // The list ran beside the control, but nothing it found is reported.
        assert!(run.accepted.is_empty());
        assert!(run.unproven.is_empty());
    }

    /// The control blocks until a list attempt has happened (or 5 s pass); list attempts
    /// accept `root:a`; the control's own result is configurable.
    struct SlowControl {
        control_accepted: bool,
        list_attempts: AtomicUsize,
        list_started: Mutex<bool>,
        wake: std::sync::Condvar,
        control_saw_list: AtomicBool,
    }

    impl Authenticator for SlowControl {
        fn attempt(&self, user: &str, password: &str) -> Attempt {
            if password.starts_with("iotlabel-") {
                let Ok(started) = self.list_started.lock() else {
                    return Attempt::Failed("poisoned".into());
                };
                let (started, _) = self
                    .wake
                    .wait_timeout_while(started, Duration::from_secs(5), |started| !*started)
                    .unwrap();
                self.control_saw_list.store(*started, Ordering::SeqCst);
                return if self.control_accepted {
                    Attempt::Accepted {
                        proof: "shell".into(),
                    }
                } else {
                    Attempt::Rejected
                };
            }
            self.list_attempts.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut started) = self.list_started.lock() {
                *started = true;
                self.wake.notify_all();
            }
            if (user, password) == ("root", "a") {
                Attempt::Accepted {
                    proof: "shell".into(),
                }
            } else {
                Attempt::Rejected
            }
        }
    }

    fn slow_control(control_accepted: bool) -> SlowControl {
        SlowControl {
            control_accepted,
            list_attempts: AtomicUsize::new(0),
            list_started: Mutex::new(false),
            wake: std::sync::Condvar::new(),
            control_saw_list: AtomicBool::new(false),
        }
    }

    #[test]
    fn the_list_starts_while_the_control_runs_and_is_judged_after_it() {
        let fake = slow_control(false);
        let run = run_credentials(&fake, &pairs(), policy(2));
        assert!(fake.control_saw_list.load(Ordering::SeqCst));
        assert_eq!(run.control.result, Attempt::Rejected);
        assert_eq!(run.accepted.len(), 1);
        assert_eq!(run.accepted[0].0.password, "a");

        // The same acceptance, found before the control came back accepted, is dropped.
        let fake = slow_control(true);
        let run = run_credentials(&fake, &pairs(), policy(2));
        assert!(fake.control_saw_list.load(Ordering::SeqCst));
        assert!(run.control_accepted());
        assert!(run.accepted.is_empty());
    }

    #[test]
    fn only_a_first_batch_runs_before_the_control_is_known() {
        let many: Vec<CredentialPair> = (0..40)
            .map(|index| CredentialPair {
                user: "root".into(),
                password: format!("p{index}"),
                list: "test".into(),
            })
            .collect();
        let fake = slow_control(true);
        let run = run_credentials(&fake, &many, policy(4));
        assert!(run.control_accepted());
        // Three workers beside the control, one attempt each, then they stop.
        let made = fake.list_attempts.load(Ordering::SeqCst);
        assert!((1..=3).contains(&made), "{made} list attempts");
        assert!(run.accepted.is_empty());
    }

    /// Counts the sessions opened and the attempts made on each.
    struct Counting {
        sessions: AtomicUsize,
        attempts: AtomicUsize,
    }

    struct CountingSession<'a>(&'a Counting);

    impl LoginSession for CountingSession<'_> {
        fn attempt(&mut self, _user: &str, _password: &str) -> Attempt {
            self.0.attempts.fetch_add(1, Ordering::SeqCst);
            Attempt::Rejected
        }
    }

    impl Authenticator for Counting {
        fn attempt(&self, _user: &str, _password: &str) -> Attempt {
            Attempt::Failed("the engine must use sessions".into())
        }

        fn session(&self) -> Box<dyn LoginSession + '_> {
            self.sessions.fetch_add(1, Ordering::SeqCst);
            Box::new(CountingSession(self))
        }
    }

    #[test]
    fn each_worker_makes_its_attempts_on_one_session() {
        let counting = Counting {
            sessions: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
        };
        let run = run_credentials(&counting, &pairs(), policy(3));
        assert_eq!(run.control.result, Attempt::Rejected);
        assert_eq!(run.tried, 4);
        assert!(run.given_up.is_empty());
        // The control and the four pairs, on at most three sessions.
        assert_eq!(counting.attempts.load(Ordering::SeqCst), 5);
        assert!(counting.sessions.load(Ordering::SeqCst) <= 3);
        // A one-pair list: the control and the pair, one worker each.
        let one = &pairs()[..1];
        let counting = Counting {
            sessions: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
        };
        let run = run_credentials(&counting, one, policy(8));
        assert_eq!(run.tried, 1);
        assert_eq!(counting.sessions.load(Ordering::SeqCst), 2);
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
