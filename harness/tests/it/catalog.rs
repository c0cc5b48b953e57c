//! The generated catalog: CHECKS.md must match the code.

use std::path::PathBuf;

use gauntlet::checks;

#[test]
fn checks_md_is_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../CHECKS.md");
    let want = checks::markdown();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        std::fs::write(&path, &want).expect("writing CHECKS.md");
        panic!(
            "CHECKS.md was stale and has been regenerated (`cargo xtask codegen` does the same): commit it"
        );
    }
}

#[test]
fn ids_are_unique_and_name_their_family() {
    let all = checks::catalog();
    let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "duplicate check ids");
    for c in &all {
        let family = serde_json::to_value(c.family).unwrap();
        assert_eq!(
            family.as_str(),
            Some(c.family.name()),
            "the JSON and JUnit/Markdown family names agree"
        );
        let level = serde_json::to_value(c.level).unwrap();
        assert_eq!(
            level.as_str(),
            Some(c.level.name()),
            "the JSON and JUnit/Markdown level names agree"
        );
        assert!(
            c.id.starts_with(&format!("{}.", family.as_str().unwrap())),
            "{} is not in family {family}",
            c.id
        );
        assert!(
            !c.description.is_empty() && !c.description.ends_with('.'),
            "{}: one line, no period",
            c.id
        );
    }
}
