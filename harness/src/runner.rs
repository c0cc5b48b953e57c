//! The runner: checks × target as libtest-mimic trials, so the `gauntlet` CLI and
//! `cargo test --test conformance` share filtering, `--list`, `--exact`,
//! `--skip` and exit codes; every verdict is also kept for the reports (`report`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Completion, Failed, Trial};
use serde::Serialize;

use crate::check::{Check, Family, Level, Outcome};
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
    /// `pass`, `fail` or `not-applicable`.
    pub outcome: &'static str,
    /// Evidence, failure message or the reason it could not run.
    pub detail: String,
    /// How long the check took, in seconds.
    pub seconds: f64,
}

/// Verdicts gathered while the trials run.
pub type Records = Arc<Mutex<Vec<Record>>>;

/// One trial per check the profile selects, named by the check's id and sorted;
/// the target's name is the kind.
pub fn trials(
    target: Arc<dyn Target>,
    checks: &[Check],
    profile: &Profile,
    records: &Records,
) -> Vec<Trial> {
    let mut trials: Vec<Trial> = checks
        .iter()
        .filter(|check| profile.selects(check))
        .map(|check| {
            let check = *check;
            let kind = target.name().to_owned();
            let target = target.clone();
            let records = records.clone();
            let profile = profile.clone();
            Trial::ignorable_test(check.id, move || {
                let started = Instant::now();
                let outcome = check.judge(target.as_ref(), &profile);
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

fn record(check: &Check, outcome: &Outcome, took: Duration) -> Record {
    let (word, detail) = match outcome {
        Outcome::Pass(e) => ("pass", e.clone()),
        Outcome::Fail(e) => ("fail", e.clone()),
        Outcome::NotApplicable(e) => ("not-applicable", e.clone()),
    };
    Record {
        id: check.id,
        family: check.family,
        level: check.level,
        outcome: word,
        detail,
        seconds: took.as_secs_f64(),
    }
}
