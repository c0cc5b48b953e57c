//! The runner: checks × target as libtest-mimic trials, so the `gauntlet` CLI and
//! `cargo test --test conformance` share filtering, `--list`, `--exact`,
//! `--skip` and exit codes; every verdict is also kept for the reports (`report`).

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Completion, Failed, Trial};
use serde::Serialize;

use crate::check::{Check, Family, Level, Outcome, OutcomeKind};
use crate::profile::Profile;
use crate::target::Target;

/// One verdict, as the reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The check's id.
    pub id: &'static str,
    /// Its family.
    pub family: Family,
    /// MUST or SHOULD.
    pub level: Level,
    /// Passed, failed or not applicable (`pass`, `fail`, `not-applicable` in JSON).
    pub outcome: OutcomeKind,
    /// Evidence, failure message or the reason it could not run.
    pub detail: String,
    /// How long the check took, in seconds.
    pub seconds: f64,
}

/// Verdicts gathered while the trials run.
pub type Records = Arc<Mutex<Vec<Record>>>;

/// One trial per check the profile selects, named by the check's id and sorted;
/// the target's name is the kind.
///
/// Exclusive checks (those that load the target) hold a write lock while they run
/// and every other check a read lock, so they run alone whatever the thread count
/// and however many targets are under test.
pub fn trials(
    target: Arc<dyn Target>,
    checks: &[Check],
    profile: &Profile,
    records: &Records,
) -> Vec<Trial> {
    let mut trials: Vec<Trial> = checks
        .iter()
        .filter(|check| profile.selects(check.id))
        .map(|check| {
            let check = *check;
            let kind = target.name().to_owned();
            let target = target.clone();
            let records = records.clone();
            let profile = profile.clone();
            Trial::ignorable_test(check.id, move || {
                let started = Instant::now();
                let outcome = judge_in_turn(&check, target.as_ref(), &profile, &TURN);
                let record = record(&check, &outcome, started.elapsed());
                records.lock().expect("records lock").push(record);
                match outcome {
                    Outcome::Pass(_) => Ok(Completion::Completed),
                    Outcome::NotApplicable(why) => Ok(Completion::ignored_with(why)),
                    Outcome::Fail(why) if check.level == Level::Should => {
                        Ok(Completion::ignored_with(format!("SHOULD failed: {why}")))
                    }
                    Outcome::Fail(why) => Err(Failed::from(why)),
                }
            })
            .with_kind(kind)
        })
        .collect();
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    trials
}

/// Taken for reading by every check and for writing by exclusive ones, across
/// all targets of the process: a burst on one target must not share the CPU with
/// checks on another.
static TURN: RwLock<()> = RwLock::new(());

/// Judges `check` holding `turn`: the write side for exclusive checks, the read side otherwise.
fn judge_in_turn(
    check: &Check,
    target: &dyn Target,
    profile: &Profile,
    turn: &RwLock<()>,
) -> Outcome {
    let _turn = if check.exclusive {
        Turn::Alone(turn.write().unwrap_or_else(|e| e.into_inner()))
    } else {
        Turn::Shared(turn.read().unwrap_or_else(|e| e.into_inner()))
    };
    check.judge(target, profile)
}

/// The lock a trial holds while it runs.
#[allow(dead_code, reason = "held for its drop, never read")]
enum Turn<'a> {
    Alone(std::sync::RwLockWriteGuard<'a, ()>),
    Shared(std::sync::RwLockReadGuard<'a, ()>),
}

fn record(check: &Check, outcome: &Outcome, took: Duration) -> Record {
    Record {
        id: check.id,
        family: check.family,
        level: check.level,
        outcome: outcome.kind(),
        detail: outcome.detail().to_owned(),
        seconds: took.as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::check::{Family, Level};

    static ACTIVE: AtomicUsize = AtomicUsize::new(0);
    static OVERLAP: AtomicBool = AtomicBool::new(false);

    struct Nowhere;

    impl Target for Nowhere {
        fn name(&self) -> &str {
            "nowhere"
        }
    }

    fn shared(_: &dyn Target, _: &Profile) -> Outcome {
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
        Outcome::Pass(String::new())
    }

    fn alone(_: &dyn Target, _: &Profile) -> Outcome {
        if ACTIVE.fetch_add(1, Ordering::SeqCst) != 0 {
            OVERLAP.store(true, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(30));
        if ACTIVE.load(Ordering::SeqCst) != 1 {
            OVERLAP.store(true, Ordering::SeqCst);
        }
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
        Outcome::Pass(String::new())
    }

    #[test]
    fn exclusive_checks_run_alone() {
        let ids = ["a.1", "a.2", "a.3", "a.4", "a.5", "a.6", "b.1", "b.2"];
        let checks: Vec<Check> = ids
            .iter()
            .map(|id| Check {
                id,
                family: Family::Load,
                level: Level::Must,
                description: "test",
                needs: &[],
                exclusive: id.starts_with('b'),
                run: if id.starts_with('b') { alone } else { shared },
            })
            .collect();
        let turn = RwLock::new(());
        let profile = Profile::default();
        std::thread::scope(|scope| {
            for check in &checks {
                let (turn, profile) = (&turn, &profile);
                scope.spawn(move || judge_in_turn(check, &Nowhere, profile, turn));
            }
        });
        assert!(!OVERLAP.load(Ordering::SeqCst), "an exclusive check ran beside another");
    }
}
