//! `gauntlet secrets`: a planted key and token are found by file and line, and
//! a broken allow-list is a usage error. (That the repository's own tracked
//! files hold no secret is a tidy rule: `xtask/src/tidy.rs`.)

use std::path::Path;

use crate::common::gauntlet_in;

fn gauntlet_secrets(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    gauntlet_in(dir, &[&["secrets"], args].concat())
}

#[test]
fn planted_secrets_are_found_and_allowed_only_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("conf/app.env"), "PORT=8080\nDB_PASSWORD=hunter2hunter2\n")
        .unwrap();
    let key = ["-----BEGIN OPENSSH ", "PRIVATE KEY-----"].concat();
    std::fs::write(dir.path().join("id"), format!("{key}\nb3BlbnNzaC1rZXk\n")).unwrap();
    let (code, text) = gauntlet_secrets(&["."], dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("./conf/app.env:2: secret-assignment: DB_PASSWORD=hunt"), "{text}");
    assert!(text.contains("./id:1: private-key"), "{text}");
    assert!(!text.contains("hunter2hunter2"), "excerpts are masked: {text}");
    std::fs::write(dir.path().join("allow"), "conf/ secret-assignment\n").unwrap();
    let (code, text) = gauntlet_secrets(&["--allow", "allow", "conf", "id"], dir.path());
    assert_eq!(code, Some(1), "the key is not allowed: {text}");
    std::fs::write(dir.path().join("allow"), "conf/ secret-assignment\nid private-key\n").unwrap();
    let (code, text) = gauntlet_secrets(&["--allow", "allow", "conf", "id"], dir.path());
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("2 finding(s), 2 of them allowed"), "{text}");
}

#[test]
fn a_broken_allow_list_or_a_missing_path_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("allow"), "only-a-path\n").unwrap();
    let (code, text) = gauntlet_secrets(&["--allow", "allow", "."], dir.path());
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--allow allow: line 1: expected `PATH RULE`"), "{text}");
    let (code, text) = gauntlet_secrets(&["no-such-file"], dir.path());
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("no-such-file"), "{text}");
}
