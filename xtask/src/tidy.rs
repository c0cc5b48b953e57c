//! Tidy rules, enforced by `cargo test`: each failure names the file, the line and the fix.

use std::path::{Path, PathBuf};

use crate::util::project_root;

/// Rust sources of the workspace's crates.
fn rust_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for krate in ["service", "harness", "xtask"] {
        walk(&project_root().join(krate), &mut out);
    }
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
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
