//! The catalog's ids, families and levels agree with each other and with the
//! names the reports print. (That CHECKS.md matches the code is a tidy rule.)

use gauntlet::checks;

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
