//! Tidy rules, enforced by `cargo test`: each failure names the file, the line and the fix.

use std::path::{Path, PathBuf};

use crate::util::project_root;

/// Rust sources of the workspace's crates.
fn rust_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for krate in ["service", "harness", "formats", "gpu-report", "xtask"] {
        walk(&project_root().join(krate), &mut out);
    }
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        // Not through links: harness/schemas and harness/fixtures point back
        // into the workspace for `cargo package`.
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(project_root()).unwrap_or(path).display().to_string()
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let missing: Vec<String> = rust_files()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap_or_default().starts_with("//!"))
        .map(|p| {
            format!(
                "{}:1: start the file with a `//!` line saying what the module is for",
                relative(&p)
            )
        })
        .collect();
    assert!(missing.is_empty(), "\n{}\n", missing.join("\n"));
}

#[test]
fn no_debugging_leftovers() {
    // Spelled in pieces so this file does not trip its own rule.
    let banned = [["dbg", "!("], ["todo", "!("], ["unimplemented", "!("]].map(|p| p.concat());
    let mut found = Vec::new();
    for path in rust_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            for word in &banned {
                if line.contains(word.as_str()) {
                    found.push(format!(
                        "{}:{}: remove `{word}` (finish the code or return an error)",
                        relative(&path),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

#[test]
fn openapi_document_is_valid_json_of_version_3_1() {
    let path = project_root().join("schemas/openapi.json");
    let text = std::fs::read_to_string(&path).expect("schemas/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("schemas/openapi.json:{}: not JSON ({e}): fix the syntax", e.line())
    });
    assert_eq!(doc["openapi"], "3.1.0", "schemas/openapi.json:1: set \"openapi\": \"3.1.0\"");
    for path in [
        "/v1/embeddings",
        "/embed",
        "/health/ready",
        "/health/live",
        "/health/startup",
        "/info",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "schemas/openapi.json: document the route {path}");
    }
}

/// The top-level modules of the harness library (`harness/src`, less the
/// binary's `main.rs` and `cli/`), each with the modules it names through
/// `crate::`, outside its unit tests, and the first line that names each.
fn harness_modules() -> Modules {
    let src = project_root().join("harness/src");
    let mut modules = Modules::default();
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap_or(&path);
        let top = rel
            .iter()
            .next()
            .unwrap_or_default()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if ["lib", "main", "cli"].contains(&top.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let uses = modules.entry(top.clone()).or_default();
        for (n, line) in code.lines().enumerate() {
            // Comments name modules without depending on them.
            let mut rest = line.split("//").next().unwrap_or_default();
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let name: String =
                    rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != top && !name.is_empty() && !uses.iter().any(|(m, _)| *m == name) {
                    uses.push((name, format!("{}:{}", relative(&path), n + 1)));
                }
            }
        }
    }
    modules
}

type Modules = std::collections::BTreeMap<String, Vec<(String, String)>>;

/// Each cycle of `modules` once, as its shortest path from its smallest module
/// back to it, every step with the line that makes it.
fn cycles(modules: &Modules) -> Vec<String> {
    let mut found = Vec::new();
    for start in modules.keys() {
        let mut paths: Vec<Vec<&str>> = vec![vec![start.as_str()]];
        let mut seen = std::collections::BTreeSet::new();
        'search: while !paths.is_empty() {
            let mut next = Vec::new();
            for path in paths {
                let last = *path.last().unwrap_or(&"");
                for (used, _) in modules.get(last).into_iter().flatten() {
                    if used == start {
                        if path.iter().all(|m| *m >= start.as_str()) {
                            let mut cycle = path.clone();
                            cycle.push(start);
                            found.push(cycle);
                        }
                        break 'search;
                    }
                    if modules.contains_key(used) && seen.insert(used.as_str()) {
                        let mut longer = path.clone();
                        longer.push(used);
                        next.push(longer);
                    }
                }
            }
            paths = next;
        }
    }
    found
        .iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let at =
                        modules[w[0]].iter().find(|(m, _)| m == w[1]).map(|(_, at)| at.as_str());
                    format!("{} -> {} ({})", w[0], w[1], at.unwrap_or("?"))
                })
                .collect();
            steps.join(", ")
        })
        .collect()
}

#[test]
fn the_harness_library_has_no_module_cycle() {
    let modules = harness_modules();
    assert!(modules.contains_key("check") && modules.contains_key("target"), "{modules:?}");
    let found = cycles(&modules);
    assert!(
        found.is_empty(),
        "module cycles in harness/src (ARCHITECTURE.md draws the layers; move the item a lower \
         module needs down to it):\n{}",
        found.join("\n")
    );
}

#[test]
fn a_cycle_is_found_once_with_the_lines_that_make_it() {
    let uses = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(m, at)| (m.to_string(), at.to_string())).collect()
    };
    let modules: Modules = [
        ("check".to_owned(), uses(&[("target", "check.rs:3")])),
        ("target".to_owned(), uses(&[("run", "target.rs:5"), ("check", "target.rs:9")])),
        ("run".to_owned(), uses(&[])),
    ]
    .into();
    assert_eq!(cycles(&modules), ["check -> target (check.rs:3), target -> check (target.rs:9)"]);
    let layered: Modules = [
        ("check".to_owned(), uses(&[("target", "check.rs:3")])),
        ("target".to_owned(), uses(&[("run", "target.rs:5")])),
    ]
    .into();
    assert!(cycles(&layered).is_empty());
}

#[test]
fn checks_md_is_fresh() {
    let path = project_root().join("CHECKS.md");
    let want = gauntlet::checks::markdown();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        std::fs::write(&path, &want).expect("writing CHECKS.md");
        panic!(
            "CHECKS.md was stale and has been regenerated (`cargo xtask codegen` does the same): commit it"
        );
    }
}

#[test]
fn the_tracked_files_hold_no_secret_outside_the_allow_list() {
    use gauntlet::secrets::{AllowList, FileFinding, scan_files};
    let root = project_root();
    let listed = std::process::Command::new("git").arg("ls-files").current_dir(&root).output();
    let files = match listed {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap(),
        _ if gauntlet::run::in_ci() => panic!("CI=true and git ls-files cannot run here"),
        _ => {
            eprintln!("not run: not a git checkout");
            return;
        }
    };
    let paths: Vec<PathBuf> = files.lines().map(|f| root.join(f)).filter(|p| p.is_file()).collect();
    let allow_text = std::fs::read_to_string(root.join(".secrets-allow")).unwrap();
    let allow = AllowList::parse(&allow_text).unwrap_or_else(|e| panic!(".secrets-allow: {e}"));
    // Findings name files as the allow-list does: relative to the root.
    let found: Vec<FileFinding> = scan_files(&paths)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|mut f| {
            f.file = f.file.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(f.file);
            f
        })
        .collect();
    let flagged: Vec<String> =
        found.iter().filter(|f| !allow.allows(f)).map(FileFinding::line).collect();
    assert!(
        flagged.is_empty(),
        "secrets outside .secrets-allow (remove them, or list a known test value there):\n{}",
        flagged.join("\n")
    );
    let unused = allow.unused(&found);
    assert!(unused.is_empty(), "stale .secrets-allow entries (they match nothing): {unused:?}");
}

/// The GitHub workflows are valid: every file in `.github/workflows/` follows
/// the vendored SchemaStore schema (`schemas/github/`), and a broken workflow
/// fixture is rejected with the place it breaks.
mod workflows {

    use std::path::{Path, PathBuf};

    fn repo(path: &str) -> PathBuf {
        crate::util::project_root().join(path)
    }

    /// The schema problems of the workflow at `path`, one line each.
    fn problems(path: &Path) -> Vec<String> {
        problems_against("schemas/github/github-workflows.json", path)
    }

    /// The problems of the YAML file at `path` against the vendored `schema`.
    fn problems_against(schema: &str, path: &Path) -> Vec<String> {
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(repo(schema)).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let document: serde_json::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
        validator.iter_errors(&document).map(|e| format!("{}: {e}", e.instance_path())).collect()
    }

    #[test]
    fn the_action_follows_the_github_action_schema_and_a_broken_one_does_not() {
        let found = problems_against("schemas/github/github-actions.json", &repo("action.yml"));
        assert!(found.is_empty(), "action.yml:\n{}", found.join("\n"));
        let found = problems_against(
            "schemas/github/github-actions.json",
            &repo("fixtures/workflows/bad-action.yml"),
        );
        assert!(found.iter().any(|p| p.starts_with("/runs")), "{found:#?}");
        assert!(found.iter().any(|p| p.starts_with("/inputs/command")), "{found:#?}");
    }

    #[test]
    fn every_workflow_follows_the_github_schema() {
        let mut seen = 0;
        for entry in std::fs::read_dir(repo(".github/workflows")).unwrap() {
            let path = entry.unwrap().path();
            let found = problems(&path);
            assert!(found.is_empty(), "{}:\n{}", path.display(), found.join("\n"));
            seen += 1;
        }
        assert!(seen >= 1, "no workflows in .github/workflows");
    }

    #[test]
    fn a_broken_workflow_is_rejected_where_it_breaks() {
        let found = problems(&repo("fixtures/workflows/bad.yml"));
        assert!(found.iter().any(|p| p.starts_with("/jobs/test")), "{found:#?}");
    }
}

/// The files `cargo package -p gauntlet-harness --list` ships.
fn harness_package_list() -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["package", "--offline", "--allow-dirty", "--list", "-p", "gauntlet-harness"])
        .current_dir(project_root())
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "cargo package --list: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

/// Every `include_str!("…")` and `include_bytes!("…")` literal in `text`.
fn included_paths(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for marker in ["include_str!(\"", "include_bytes!(\""] {
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            if let Some(end) = rest.find('"') {
                out.push(&rest[..end]);
            }
        }
    }
    out
}

/// `dir/../x` → `x`, without touching the file system (the package's links
/// must not be resolved: the packaged path is the link's).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                assert!(out.pop(), "{} climbs out of the crate", path.display());
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What the harness embeds must be in its package: the published crate
/// builds from nothing else. Every file a source includes, every vendored
/// Kubernetes schema build.rs embeds, every built-in profile and the GPU
/// recordings its unit tests read.
#[test]
fn the_harness_package_holds_what_it_builds_from() {
    let listed = harness_package_list();
    let crate_root = project_root().join("harness");
    let mut files = Vec::new();
    walk(&crate_root.join("src"), &mut files);
    files.push(crate_root.join("build.rs"));
    let mut needed: Vec<String> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let from = file.parent().unwrap().strip_prefix(&crate_root).unwrap();
        for included in included_paths(&text) {
            if included.starts_with('{') {
                continue; // build.rs's generated table, checked below
            }
            let path = normalize(&from.join(included));
            assert!(
                crate_root.join(&path).is_file(),
                "{}: includes {included}, which is not a file",
                relative(file)
            );
            needed.push(path.display().to_string());
        }
    }
    for dir in ["schemas/kubernetes", "profiles", "fixtures/gpu"] {
        for entry in std::fs::read_dir(crate_root.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") || name.ends_with(".yaml") {
                needed.push(format!("{dir}/{name}"));
            }
        }
    }
    assert!(needed.iter().any(|p| p.starts_with("schemas/kubernetes/v1.")), "{needed:?}");
    assert!(needed.iter().any(|p| p == "fixtures/embeddings/expected.json"), "{needed:?}");
    let missing: Vec<&String> = needed.iter().filter(|p| !listed.contains(p)).collect();
    assert!(
        missing.is_empty(),
        "`cargo package -p gauntlet-harness` leaves out {missing:?}: add them to `include` in harness/Cargo.toml"
    );
    // And nothing the crate does not need: the integration tests and the
    // manifest fixtures stay in the repository.
    let extra: Vec<&String> = listed
        .iter()
        .filter(|p| p.starts_with("tests/") || p.starts_with("fixtures/manifests/"))
        .collect();
    assert!(extra.is_empty(), "the package carries {extra:?}");
    assert!(
        listed.contains(&"src/main.rs".to_owned()) && listed.contains(&"Cargo.lock".to_owned())
    );
}

#[test]
fn included_paths_are_found_and_normalized() {
    let text = "const A: &str = include_str!(\"../../schemas/a.json\");\nlet b = include_bytes!(\"x.bin\");";
    assert_eq!(included_paths(text), vec!["../../schemas/a.json", "x.bin"]);
    assert_eq!(
        normalize(Path::new("src/checks/../../schemas/a.json")),
        PathBuf::from("schemas/a.json")
    );
}
