//! `gauntlet secrets`: the repository's tracked files hold no secret outside the
//! allow-list of known test values (`.secrets-allow`), a planted key and token
//! are found by file and line, and a broken allow-list is a usage error.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn gauntlet_secrets(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .arg("secrets")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
fn the_tracked_files_hold_no_secret_outside_the_allow_list() {
    let listed = Command::new("git").arg("ls-files").current_dir(root()).output();
    let files = match listed {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap(),
        _ if gauntlet::run::in_ci() => panic!("CI=true and git ls-files cannot run here"),
        _ => {
            eprintln!("not run: not a git checkout");
            return;
        }
    };
    let mut args = vec!["--allow", ".secrets-allow"];
    args.extend(files.lines().filter(|f| root().join(f).is_file()));
    let (code, text) = gauntlet_secrets(&args, &root());
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("matched nothing"), "a stale allow-list entry: {text}");
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
