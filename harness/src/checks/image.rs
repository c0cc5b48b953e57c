//! Family `image`: what the image itself promises an orchestrator: a numeric
//! non-root user, an entrypoint that needs no shell, the port it really listens
//! on, a healthcheck, a size within budget, OCI labels, and no secrets in its
//! environment or history. Judged on [`ImageFacts`], so recorded inspect output
//! proves the logic as well as live images do.

use crate::check;
use crate::check::{Check, Outcome};
use crate::image::{ImageFacts, REQUIRED_LABELS};
use crate::profile::Profile;
use crate::target::ImageView;

/// Programs that make an entrypoint need a shell.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "busybox"];

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "image.user.non-root",
        family: Image,
        level: Must,
        description: "USER is a numeric uid (and gid) other than 0",
        run: |_profile, image: &dyn ImageView| with_facts(image, |_, f| non_root(f)),
    },
    check! {
        id: "image.entrypoint.no-shell",
        family: Image,
        level: Must,
        description: "the entrypoint is an exec-form program that exists in the image and is not a shell",
        run: |_profile, image: &dyn ImageView| with_facts(image, |view, f| entrypoint(f, |path| view.path_exists(path))),
    },
    check! {
        id: "image.port.matches",
        family: Image,
        level: Must,
        description: "the image exposes exactly the port the service listens on",
        run: |_profile, image: &dyn ImageView| with_facts(image, |view, f| port(f, view.listening_port())),
    },
    check! {
        id: "image.healthcheck.present",
        family: Image,
        level: Must,
        description: "the image declares an exec-form HEALTHCHECK whose program exists in the image",
        run: |_profile, image: &dyn ImageView| with_facts(image, |view, f| healthcheck(f, |path| view.path_exists(path))),
    },
    check! {
        id: "image.size.budget",
        family: Image,
        level: Must,
        description: "the image is no larger than the profile's budget",
        run: |profile, image: &dyn ImageView| with_facts(image, |_, f| size(f, profile)),
    },
    check! {
        id: "image.labels.oci",
        family: Image,
        level: Must,
        description: "the OCI labels source, version, revision and created are present and not empty",
        run: |_profile, image: &dyn ImageView| with_facts(image, |_, f| labels(f)),
    },
    check! {
        id: "image.secrets.none",
        family: Image,
        level: Must,
        description: "no private key, token or password appears in the image's environment, labels or history",
        run: |_profile, image: &dyn ImageView| with_facts(image, |_, f| secrets(f)),
    },
];

/// Reads the image's facts and judges them with `judge`; an image that cannot
/// be inspected fails.
pub(super) fn with_facts(
    view: &dyn ImageView,
    judge: impl FnOnce(&dyn ImageView, &ImageFacts) -> Outcome,
) -> Outcome {
    match view.facts() {
        Ok(facts) => judge(view, &facts),
        Err(e) => Outcome::Fail(format!("the image could not be inspected: {e}")),
    }
}

/// `image.user.non-root`.
pub fn non_root(facts: &ImageFacts) -> Outcome {
    match facts.numeric_user() {
        _ if facts.user.is_empty() => {
            Outcome::Fail(format!("{} sets no USER, so it runs as root", facts.reference))
        }
        None => Outcome::Fail(format!(
            "{} runs as USER {:?}: not numeric, so an orchestrator cannot verify runAsNonRoot",
            facts.reference, facts.user
        )),
        Some((0, _)) => Outcome::Fail(format!("{} runs as user 0 (root)", facts.reference)),
        Some((uid, gid)) => Outcome::Pass(format!("runs as {uid}:{gid}")),
    }
}

/// `image.entrypoint.no-shell`; `exists` looks a path up in the image.
pub fn entrypoint<E: std::fmt::Display>(
    facts: &ImageFacts,
    exists: impl Fn(&str) -> Result<bool, E>,
) -> Outcome {
    let Some(program) = facts.entrypoint.first() else {
        return Outcome::Fail(format!("{} has no ENTRYPOINT", facts.reference));
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    if SHELLS.contains(&name) {
        return Outcome::Fail(format!(
            "the entrypoint {:?} runs a shell (shell-form ENTRYPOINT?); use the exec form",
            facts.entrypoint
        ));
    }
    if !program.starts_with('/') {
        return Outcome::Fail(format!(
            "the entrypoint {program:?} is not an absolute path, so it depends on a PATH lookup"
        ));
    }
    match exists(program) {
        Ok(true) => Outcome::Pass(format!("exec-form entrypoint {:?}", facts.entrypoint)),
        Ok(false) => Outcome::Fail(format!("the entrypoint {program} does not exist in the image")),
        Err(e) => Outcome::Fail(e.to_string()),
    }
}

/// `image.port.matches`; `listening` is the port the service was seen on.
pub fn port(facts: &ImageFacts, listening: Option<u16>) -> Outcome {
    let Some(listening) = listening.or_else(|| facts.env_var("GAUNTLET_PORT")?.parse().ok()) else {
        return Outcome::NotApplicable(
            "not applicable: the service's port is unknown (never run, no GAUNTLET_PORT)".into(),
        );
    };
    let want = format!("{listening}/tcp");
    if facts.exposed_ports == [want.clone()] {
        Outcome::Pass(format!("exposes {want}, where the service listens"))
    } else {
        Outcome::Fail(format!(
            "the image exposes {:?} but the service listens on {want}",
            facts.exposed_ports
        ))
    }
}

/// `image.healthcheck.present`.
pub fn healthcheck<E: std::fmt::Display>(
    facts: &ImageFacts,
    exists: impl Fn(&str) -> Result<bool, E>,
) -> Outcome {
    let test = match facts.healthcheck.as_deref() {
        None | Some([]) => {
            return Outcome::Fail(format!("{} declares no HEALTHCHECK", facts.reference));
        }
        Some(test) => test,
    };
    match test {
        [kind, ..] if kind == "NONE" => Outcome::Fail(format!(
            "{} disables the healthcheck (HEALTHCHECK NONE)",
            facts.reference
        )),
        [kind, ..] if kind == "CMD-SHELL" => Outcome::Fail(format!(
            "the healthcheck {test:?} needs a shell; use HEALTHCHECK CMD [\"program\", ...]"
        )),
        [kind, program, ..] if kind == "CMD" => match exists(program) {
            Ok(true) => Outcome::Pass(format!("HEALTHCHECK {test:?}")),
            Ok(false) => Outcome::Fail(format!(
                "the healthcheck program {program} does not exist in the image"
            )),
            Err(e) => Outcome::Fail(e.to_string()),
        },
        _ => Outcome::Fail(format!("the healthcheck {test:?} names no program")),
    }
}

/// `image.size.budget`.
pub fn size(facts: &ImageFacts, profile: &Profile) -> Outcome {
    let (size, budget) = (facts.size, profile.thresholds.image_size);
    crate::figures::record("image.size", size as f64);
    let mb = |bytes: u64| bytes as f64 / 1e6;
    if size <= budget {
        Outcome::Pass(format!("{:.1} MB (budget {:.1} MB)", mb(size), mb(budget)))
    } else {
        Outcome::Fail(format!(
            "{} is {:.1} MB, over the budget of {:.1} MB",
            facts.reference,
            mb(size),
            mb(budget)
        ))
    }
}

/// `image.labels.oci`.
pub fn labels(facts: &ImageFacts) -> Outcome {
    let missing: Vec<&str> = REQUIRED_LABELS
        .iter()
        .copied()
        .filter(|label| facts.labels.get(*label).is_none_or(|v| v.trim().is_empty()))
        .collect();
    if missing.is_empty() {
        Outcome::Pass(format!("{} OCI labels present", REQUIRED_LABELS.len()))
    } else {
        Outcome::Fail(format!(
            "{} lacks the labels {missing:?} (or leaves them empty)",
            facts.reference
        ))
    }
}

/// `image.secrets.none`.
pub fn secrets(facts: &ImageFacts) -> Outcome {
    let places = facts
        .env
        .iter()
        .map(|e| ("ENV", e.clone()))
        .chain(facts.labels.iter().map(|(k, v)| ("LABEL", format!("{k}={v}"))))
        .chain(facts.history.iter().map(|h| ("history", h.clone())));
    let found: Vec<String> = places
        .flat_map(|(place, text)| {
            crate::secrets::scan(&text)
                .into_iter()
                .map(move |f| format!("{place}: {} ({})", f.excerpt, f.rule))
        })
        .collect();
    if found.is_empty() {
        Outcome::Pass(format!(
            "{} environment variables, {} labels and {} history entries hold nothing secret-like",
            facts.env.len(),
            facts.labels.len(),
            facts.history.len()
        ))
    } else {
        Outcome::Fail(format!(
            "{} carries what looks like secrets: {}",
            facts.reference,
            found.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Failure;

    const RECORDED: &str = include_str!("../../fixtures/images/gauntlet-service.inspect.json");

    fn recorded() -> ImageFacts {
        let inspect: serde_json::Value = serde_json::from_str(RECORDED).unwrap();
        ImageFacts::from_inspect("gauntlet-service:dev", &inspect[0], vec![])
    }

    fn passes(outcome: Outcome) {
        assert!(matches!(outcome, Outcome::Pass(_)), "{outcome:?}");
    }

    fn fails(outcome: Outcome, says: &str) {
        match outcome {
            Outcome::Fail(m) => assert!(m.contains(says), "`{m}` should say `{says}`"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn the_recorded_image_passes_every_judgement() {
        let f = recorded();
        passes(non_root(&f));
        passes(entrypoint(&f, |_| Ok::<_, Failure>(true)));
        passes(port(&f, Some(8080)));
        passes(healthcheck(&f, |_| Ok::<_, Failure>(true)));
        passes(size(&f, &Profile::default()));
        passes(labels(&f));
        passes(secrets(&f));
    }

    #[test]
    fn each_judgement_fails_on_its_fault() {
        let f = recorded();
        fails(non_root(&ImageFacts { user: "0:0".into(), ..f.clone() }), "user 0");
        fails(non_root(&ImageFacts { user: "app".into(), ..f.clone() }), "not numeric");
        fails(non_root(&ImageFacts { user: String::new(), ..f.clone() }), "no USER");
        let shell = vec!["/bin/sh".into(), "-c".into(), "gauntlet-service serve".into()];
        fails(
            entrypoint(&ImageFacts { entrypoint: shell, ..f.clone() }, |_| Ok::<_, Failure>(true)),
            "runs a shell",
        );
        fails(entrypoint(&f, |_| Ok::<_, Failure>(false)), "does not exist");
        fails(port(&f, Some(9090)), "listens on 9090/tcp");
        let two = vec!["8080/tcp".into(), "9000/tcp".into()];
        fails(port(&ImageFacts { exposed_ports: two, ..f.clone() }, Some(8080)), "9000/tcp");
        fails(
            healthcheck(&ImageFacts { healthcheck: None, ..f.clone() }, |_| Ok::<_, Failure>(true)),
            "no HEALTHCHECK",
        );
        let none = Some(vec!["NONE".into()]);
        fails(
            healthcheck(&ImageFacts { healthcheck: none, ..f.clone() }, |_| Ok::<_, Failure>(true)),
            "NONE",
        );
        let shell = Some(vec!["CMD-SHELL".into(), "curl -f localhost".into()]);
        fails(
            healthcheck(&ImageFacts { healthcheck: shell, ..f.clone() }, |_| {
                Ok::<_, Failure>(true)
            }),
            "needs a shell",
        );
        let mut small = Profile::default();
        small.thresholds.image_size = 10_000_000;
        fails(size(&f, &small), "over the budget of 10.0 MB");
        let mut unlabelled = f.clone();
        unlabelled.labels.remove("org.opencontainers.image.revision");
        fails(labels(&unlabelled), "org.opencontainers.image.revision");
        let mut leaky = f.clone();
        leaky.env.push("DB_PASSWORD=hunter2".into());
        fails(secrets(&leaky), "ENV: DB_PASSWORD=hunt");
    }
}
