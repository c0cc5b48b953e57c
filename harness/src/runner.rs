//! The runner: checks × target as libtest-mimic trials, so the `gauntlet` CLI and
//! `cargo test --test conformance` share filtering, `--list`, `--exact`,
//! `--skip` and exit codes; every verdict is also kept for the reports (`report`).

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Completion, Failed, Trial};
use serde::Serialize;

use crate::check::{Check, Family, Level, Outcome, OutcomeKind};
use crate::figures::{self, Measured};
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
    /// What it measured; the reports list it apart (`figures`, `series`).
    #[serde(skip)]
    pub measured: Measured,
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
                let (outcome, measured) = figures::collect(check.id, || {
                    judge_in_turn(&check, target.as_ref(), &profile, &TURN)
                });
                let record = record(&check, &outcome, started.elapsed(), measured);
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

/// What a run verified: the gate's last word after the trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Checks that ran, whatever their outcome.
    pub ran: usize,
    /// Checks that passed or failed: the ones that verified something.
    pub verified: usize,
    /// MUST checks that could not run, with their reasons, sorted by id.
    pub must_not_applicable: Vec<(&'static str, String)>,
}

impl Verdict {
    /// Reads the records of a finished run.
    pub fn of(records: &Records) -> Self {
        let all = records.lock().expect("records lock");
        let verified = all.iter().filter(|r| r.outcome != OutcomeKind::NotApplicable).count();
        let mut must_not_applicable: Vec<(&'static str, String)> = all
            .iter()
            .filter(|r| r.outcome == OutcomeKind::NotApplicable && r.level == Level::Must)
            .map(|r| (r.id, r.detail.clone()))
            .collect();
        must_not_applicable.sort();
        Self { ran: all.len(), verified, must_not_applicable }
    }

    /// Whether nothing passed or failed: every check not applicable, or none selected.
    pub fn verified_nothing(&self) -> bool {
        self.verified == 0
    }

    /// The lines printed after the trials: each MUST check that did not run and
    /// why, then `verified nothing` when nothing was.
    pub fn summary(&self) -> String {
        let ran = self.ran;
        let mut out = String::new();
        if !self.must_not_applicable.is_empty() {
            out.push_str(&format!(
                "{} MUST check(s) not applicable:\n",
                self.must_not_applicable.len()
            ));
            for (id, why) in &self.must_not_applicable {
                out.push_str(&format!("  {id}: {}\n", why.lines().next().unwrap_or_default()));
            }
        }
        if self.verified_nothing() {
            out.push_str(&if ran == 0 {
                "verified nothing: no check was selected (does the filter match any id? `gauntlet list` shows them)\n".to_owned()
            } else {
                format!("verified nothing: none of the {ran} check(s) run passed or failed\n")
            });
        }
        out
    }
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

fn record(check: &Check, outcome: &Outcome, took: Duration, measured: Measured) -> Record {
    Record {
        id: check.id,
        family: check.family,
        level: check.level,
        outcome: outcome.kind(),
        detail: outcome.detail().to_owned(),
        seconds: took.as_secs_f64(),
        measured,
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

    fn records_of(outcomes: &[(&'static str, Level, OutcomeKind)]) -> Records {
        let all = outcomes
            .iter()
            .map(|(id, level, outcome)| Record {
                id,
                family: Family::Probe,
                level: *level,
                outcome: *outcome,
                detail: format!("not applicable: {id} has no target\nsecond line"),
                seconds: 0.0,
                measured: Measured::default(),
            })
            .collect();
        Arc::new(Mutex::new(all))
    }

    #[test]
    fn a_run_of_only_not_applicable_checks_verified_nothing() {
        let none = Verdict::of(&records_of(&[]));
        assert!(none.verified_nothing());
        assert!(none.summary().contains("no check was selected"), "{}", none.summary());
        let na = Verdict::of(&records_of(&[
            ("probe.b", Level::Must, OutcomeKind::NotApplicable),
            ("probe.a", Level::Should, OutcomeKind::NotApplicable),
        ]));
        assert!(na.verified_nothing());
        let text = na.summary();
        assert!(text.contains("1 MUST check(s) not applicable:\n  probe.b: not applicable: probe.b has no target\n"), "{text}");
        assert!(!text.contains("probe.a"), "SHOULD checks are not listed: {text}");
        assert!(text.ends_with("verified nothing: none of the 2 check(s) run passed or failed\n"));
        let failed = Verdict::of(&records_of(&[("probe.c", Level::Must, OutcomeKind::Fail)]));
        assert!(!failed.verified_nothing() && failed.summary().is_empty());
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
