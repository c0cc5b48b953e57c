//! Secrets by pattern: private keys, cloud and forge tokens, and assignments of
//! values to names that say password, secret, token or key. Used on image
//! environments and histories, and on files (`gauntlet secrets`, which
//! `cargo xtask validate` runs on the tracked files) with an allow-list for
//! known test values.

use std::path::{Path, PathBuf};

/// One thing that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which rule matched.
    pub rule: &'static str,
    /// The matching text with all but its first four characters masked.
    pub excerpt: String,
}

/// Names whose values are secrets when set (compared case-insensitively, as
/// parts of a `NAME=value` or `NAME: value` pair).
const SECRET_NAMES: &[&str] =
    &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY"];

/// Prefixes of well-known credential formats, with the least length of the
/// token after them and the characters it is made of.
const TOKEN_PREFIXES: &[(&str, &str, usize)] = &[
    ("aws-access-key-id", "AKIA", 16),
    ("github-token", "ghp_", 30),
    ("github-token", "gho_", 30),
    ("github-token", "ghs_", 30),
    ("github-token", "github_pat_", 30),
    ("slack-token", "xoxb-", 10),
    ("slack-token", "xoxp-", 10),
    ("openai-key", "sk-", 20),
];

/// Every finding in `text`.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        found.push(Finding {
            rule: "private-key",
            excerpt: "-----BEGIN ... PRIVATE KEY-----".into(),
        });
    }
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | ';'))
    {
        for (rule, prefix, least) in TOKEN_PREFIXES {
            if let Some(rest) = word.strip_prefix(prefix) {
                let body = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .count();
                if body >= *least {
                    found.push(Finding { rule, excerpt: mask(word) });
                }
            }
        }
    }
    for line in text.lines() {
        for pair in line.split_whitespace() {
            let Some((name, value)) = pair.split_once('=').or_else(|| pair.split_once(':')) else {
                continue;
            };
            let upper = name.trim_start_matches("--").to_ascii_uppercase().replace('-', "_");
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            if SECRET_NAMES.iter().any(|s| upper.ends_with(s)) && !placeholder(value) {
                found.push(Finding {
                    rule: "secret-assignment",
                    excerpt: format!("{name}={}", mask(value)),
                });
            }
        }
    }
    found
}

/// Values that hold no secret: empty, a reference to another variable or file,
/// or an obvious placeholder.
fn placeholder(value: &str) -> bool {
    value.is_empty()
        || value.starts_with('$')
        || value.starts_with('/')
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "changeme" | "xxx" | "<redacted>" | "none" | "null"
        )
}

fn mask(text: &str) -> String {
    let shown: String = text.chars().take(4).collect();
    format!("{shown}{}", "*".repeat(text.chars().count().saturating_sub(4).min(12)))
}

/// A finding in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFinding {
    /// The file, as given.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// What matched.
    pub finding: Finding,
}

impl FileFinding {
    /// `file:line: rule: masked excerpt`.
    pub fn line(&self) -> String {
        format!(
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.finding.rule,
            self.finding.excerpt
        )
    }
}

/// Known test values: `PATH RULE` lines (a PATH ending in `/` covers a
/// folder), `#` starts a comment.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    entries: Vec<(String, String)>,
}

impl AllowList {
    /// Parses an allow-list; `Err` names the line that is not `PATH RULE`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let [path, rule] = words[..] else {
                return Err(format!("line {}: expected `PATH RULE`, found `{line}`", n + 1));
            };
            entries.push((path.to_owned(), rule.to_owned()));
        }
        Ok(Self { entries })
    }

    /// Whether `f` is a known test value.
    pub fn allows(&self, f: &FileFinding) -> bool {
        let file = f.file.to_string_lossy();
        let file = file.trim_start_matches("./");
        self.entries.iter().any(|(path, rule)| {
            let path_matches =
                if path.ends_with('/') { file.starts_with(path.as_str()) } else { file == path };
            path_matches && (rule == "*" || rule == f.finding.rule)
        })
    }

    /// Entries that allowed none of `findings`: stale, or mistyped.
    pub fn unused(&self, findings: &[FileFinding]) -> Vec<String> {
        self.entries
            .iter()
            .filter(|entry| {
                let only = Self { entries: vec![(*entry).clone()] };
                !findings.iter().any(|f| only.allows(f))
            })
            .map(|(path, rule)| format!("{path} {rule}"))
            .collect()
    }
}

/// Every finding in the files under `paths` (folders walked, except `.git`,
/// `target` and `models`), line by line; binary files (a NUL byte, not UTF-8)
/// and files over 4 MB are skipped. `Err` for a path that cannot be read.
pub fn scan_files(paths: &[PathBuf]) -> Result<Vec<FileFinding>, String> {
    let mut out = Vec::new();
    for path in paths {
        scan_path(path, &mut out)?;
    }
    Ok(out)
}

fn scan_path(path: &Path, out: &mut Vec<FileFinding>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                !p.file_name().is_some_and(|n| n == ".git" || n == "target" || n == "models")
            })
            .collect();
        entries.sort();
        for entry in entries {
            scan_path(&entry, out)?;
        }
        return Ok(());
    }
    if meta.len() > 4 << 20 {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
    if text.contains('\0') {
        return Ok(());
    }
    for (n, line) in text.lines().enumerate() {
        for finding in scan(line) {
            out.push(FileFinding { file: path.to_owned(), line: n + 1, finding });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        scan(text).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn finds_keys_tokens_and_assignments() {
        assert_eq!(rules("-----BEGIN RSA PRIVATE KEY-----\nMIIE..."), ["private-key"]);
        assert_eq!(rules("AWS=AKIAIOSFODNN7EXAMPLE"), ["aws-access-key-id"]);
        assert_eq!(rules("token ghp_abcdefghijklmnopqrstuvwxyz0123456789"), ["github-token"]);
        assert_eq!(rules("DB_PASSWORD=hunter2"), ["secret-assignment"]);
        assert_eq!(rules("ENV GAUNTLET_API_KEY=s3cr3t"), ["secret-assignment"]);
        assert_eq!(rules("--api-key=s3cr3t"), ["secret-assignment"]);
    }

    #[test]
    fn leaves_ordinary_settings_and_placeholders_alone() {
        for text in [
            "GAUNTLET_PORT=8080",
            "PATH=/usr/local/bin:/usr/bin",
            "GAUNTLET_API_KEY=",
            "API_KEY=$API_KEY",
            "TOKEN_FILE=/run/secrets/token",
            "PASSWORD=changeme",
            "max_batch_tokens=16384",
            "/bin/sh -c #(nop)  ENV GAUNTLET_HOST=0.0.0.0 GAUNTLET_PORT=8080",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn the_allow_list_matches_files_and_folders_by_rule() {
        let allow =
            AllowList::parse("# known test values\nfixtures/ secret-assignment\nsrc/a.rs *\n")
                .unwrap();
        let at = |file: &str, rule: &'static str| FileFinding {
            file: PathBuf::from(file),
            line: 1,
            finding: Finding { rule, excerpt: String::new() },
        };
        assert!(allow.allows(&at("fixtures/x/Dockerfile", "secret-assignment")));
        assert!(allow.allows(&at("./fixtures/x/Dockerfile", "secret-assignment")));
        assert!(!allow.allows(&at("fixtures/x/Dockerfile", "private-key")));
        assert!(allow.allows(&at("src/a.rs", "github-token")));
        assert!(!allow.allows(&at("src/b.rs", "github-token")));
        assert_eq!(allow.unused(&[at("src/a.rs", "private-key")]), ["fixtures/ secret-assignment"]);
        assert!(AllowList::parse("just-a-path\n").unwrap_err().contains("line 1"));
    }

    #[test]
    fn excerpts_are_masked() {
        let found = scan("DB_PASSWORD=hunter2hunter2");
        assert_eq!(found[0].excerpt, "DB_PASSWORD=hunt**********");
    }
}
