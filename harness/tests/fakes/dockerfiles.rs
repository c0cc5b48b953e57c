//! `gauntlet dockerfile`: the project's Dockerfile passes every rule, and each
//! file in `fixtures/dockerfiles/bad` trips its rule and no other, with a
//! message that names the fault.

use crate::common::{gauntlet, repo};

fn gauntlet_dockerfile(args: &[&str]) -> (Option<i32>, String) {
    gauntlet(&[&["dockerfile"], args].concat())
}

/// What each rule's fixture must make it say.
const SAYS: &[(&str, usize, &str)] = &[
    ("dockerfile.from-pinned", 2, "FROM debian has no tag"),
    ("dockerfile.packages-pinned", 3, "apt-get installs curl without a version"),
    ("dockerfile.user-numeric", 27, "USER nonroot is not numeric"),
    ("dockerfile.healthcheck", 31, "the final stage declares no HEALTHCHECK"),
    ("dockerfile.no-add-url", 18, "ADD https://example.com/model.safetensors fetches a URL"),
    ("dockerfile.exec-form", 32, "ENTRYPOINT /usr/local/bin/gauntlet-service is shell form"),
    (
        "dockerfile.labels-oci",
        32,
        "lacks the labels org.opencontainers.image.revision, org.opencontainers.image.created",
    ),
];

#[test]
fn the_projects_dockerfiles_follow_every_rule() {
    let (cpu, gpu) = (repo("manifests/Dockerfile"), repo("manifests/Dockerfile.gpu"));
    let (code, text) =
        gauntlet_dockerfile(&[&cpu.display().to_string(), &gpu.display().to_string()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 Dockerfile(s) checked: 0 finding(s)"), "{text}");
}

#[test]
fn each_fixture_trips_its_rule_and_only_it() {
    let mut fixtures: Vec<String> = std::fs::read_dir(repo("fixtures/dockerfiles/bad"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    fixtures.sort();
    let mut rules: Vec<String> = gauntlet::dockerfile::RULES
        .iter()
        .map(|(id, _)| format!("{}.Dockerfile", id.trim_start_matches("dockerfile.")))
        .collect();
    rules.sort();
    assert_eq!(fixtures, rules, "one fixture per rule");
    for (rule, line, says) in SAYS {
        let path = repo(&format!(
            "fixtures/dockerfiles/bad/{}.Dockerfile",
            rule.trim_start_matches("dockerfile.")
        ));
        let findings = gauntlet::dockerfile::check_file(&path).unwrap();
        assert!(!findings.is_empty(), "{}: passed, but must trip {rule}", path.display());
        for f in &findings {
            assert_eq!(&f.rule, rule, "{}", f.line());
        }
        let f = findings.iter().find(|f| f.message.contains(says));
        let f = f.unwrap_or_else(|| {
            panic!("{}: no finding says {says:?}: {findings:#?}", path.display())
        });
        assert_eq!(f.line, *line, "{}", f.line());
    }
}

#[test]
fn findings_exit_1_and_unreadable_files_exit_2() {
    let bad = repo("fixtures/dockerfiles/bad/user-numeric.Dockerfile").display().to_string();
    let (code, text) = gauntlet_dockerfile(&[&bad]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("user-numeric.Dockerfile:27: dockerfile.user-numeric: USER nonroot"),
        "{text}"
    );
    let (code, text) = gauntlet_dockerfile(&["/no/such/Dockerfile"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/no/such/Dockerfile"), "{text}");
}
