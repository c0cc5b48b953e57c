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

/// What [`scan_image_archive`] looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveScan {
    /// Findings, each file named `IMAGE:/path` (the path inside the layer).
    pub findings: Vec<FileFinding>,
    /// Layers read.
    pub layers: usize,
    /// Text files scanned, in layers and beside them (configuration, manifests).
    pub scanned: usize,
    /// Files not scanned: binary (a NUL byte, not UTF-8) or over 4 MB.
    pub skipped: usize,
}

/// Every finding in an image as `docker save` writes it (`archive`): each layer
/// (a tar inside the tar, legacy or OCI layout) is opened and its text files
/// scanned like [`scan_files`] scans files, and so are the configuration and
/// manifests beside them. A secret in a layer counts even when a later layer
/// deletes the file: the layer still ships it. `Err` when the archive or a layer
/// is not a tar this reads (a compressed layer, a truncated archive).
pub fn scan_image_archive(archive: &[u8], reference: &str) -> Result<ArchiveScan, String> {
    let mut out = ArchiveScan::default();
    for entry in tar_entries(archive).map_err(|e| format!("the image archive: {e}"))? {
        if is_tar(entry.data) {
            out.layers += 1;
            let files = tar_entries(entry.data)
                .map_err(|e| format!("layer {} of {reference}: {e}", entry.path))?;
            for file in files {
                let name = format!("{reference}:/{}", file.path.trim_start_matches("./"));
                scan_blob(&name, file.data, &mut out);
            }
        } else if entry.data.starts_with(&[0x1f, 0x8b]) {
            return Err(format!(
                "layer {} of {reference} is compressed; this reads the uncompressed layers `docker save` writes",
                entry.path
            ));
        } else {
            scan_blob(&format!("{reference}:{}", entry.path), entry.data, &mut out);
        }
    }
    Ok(out)
}

fn scan_blob(name: &str, data: &[u8], out: &mut ArchiveScan) {
    let text = (data.len() <= 4 << 20).then(|| std::str::from_utf8(data).ok()).flatten();
    let Some(text) = text.filter(|t| !t.contains('\0')) else {
        out.skipped += 1;
        return;
    };
    out.scanned += 1;
    for (n, line) in text.lines().enumerate() {
        for finding in scan(line) {
            out.findings.push(FileFinding { file: PathBuf::from(name), line: n + 1, finding });
        }
    }
}

/// A regular file in a tar.
struct TarFile<'a> {
    path: String,
    data: &'a [u8],
}

/// Whether `data` starts with a POSIX or GNU tar header.
fn is_tar(data: &[u8]) -> bool {
    data.len() >= 512 && data[257..262] == *b"ustar"
}

/// The regular files of a tar (ustar, with GNU long names and pax paths), in
/// order; links, folders and whiteouts are left out.
fn tar_entries(data: &[u8]) -> Result<Vec<TarFile<'_>>, String> {
    let mut files = Vec::new();
    let mut at = 0;
    let mut long_name: Option<String> = None;
    while at + 512 <= data.len() {
        let header = &data[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let size = tar_size(&header[124..136]).ok_or_else(|| format!("a bad size at byte {at}"))?;
        let start = at + 512;
        let end = start.checked_add(size).filter(|e| *e <= data.len()).ok_or_else(|| {
            format!("an entry at byte {at} runs past the end: the archive is truncated")
        })?;
        let body = &data[start..end];
        let field = |range: std::ops::Range<usize>| {
            let raw = &header[range];
            let len = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..len]).into_owned()
        };
        match header[156] {
            b'L' => long_name = Some(field_text(body)),
            b'x' => long_name = pax_path(body).or(long_name),
            b'0' | 0 => {
                let path = long_name.take().unwrap_or_else(|| {
                    let (prefix, name) = (field(345..500), field(0..100));
                    if prefix.is_empty() { name } else { format!("{prefix}/{name}") }
                });
                let base = path.rsplit('/').next().unwrap_or_default();
                if !base.starts_with(".wh.") {
                    files.push(TarFile { path, data: body });
                }
            }
            _ => long_name = None,
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(files)
}

/// A size field: octal digits, or base-256 when the top bit is set.
fn tar_size(field: &[u8]) -> Option<usize> {
    if field[0] & 0x80 != 0 {
        return field[1..]
            .iter()
            .try_fold(0usize, |n, b| n.checked_mul(256)?.checked_add(*b as usize));
    }
    let digits: String =
        field.iter().take_while(|b| **b != 0 && **b != b' ').map(|b| *b as char).collect();
    let digits = digits.trim();
    if digits.is_empty() { Some(0) } else { usize::from_str_radix(digits, 8).ok() }
}

fn field_text(body: &[u8]) -> String {
    let len = body.iter().position(|b| *b == 0).unwrap_or(body.len());
    String::from_utf8_lossy(&body[..len]).into_owned()
}

/// The `path` record of a pax extended header (`LEN path=VALUE\n` records).
fn pax_path(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.lines().find_map(|record| {
        let (_, kv) = record.split_once(' ')?;
        kv.strip_prefix("path=").map(str::to_owned)
    })
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

    /// A tar of `(path, contents)` regular files, as ustar headers write them.
    pub(crate) fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, data) in files {
            let mut header = [0u8; 512];
            header[..path.len()].copy_from_slice(path.as_bytes());
            header[100..107].copy_from_slice(b"0000644");
            header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
            header[156] = b'0';
            header[257..263].copy_from_slice(b"ustar\0");
            header[263..265].copy_from_slice(b"00");
            out.extend_from_slice(&header);
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn image_layers_are_opened_and_their_text_files_scanned() {
        let key = ["-----BEGIN EC ", "PRIVATE KEY-----\nMHcC\n"].concat();
        let first = tar(&[("etc/key.pem", key.as_bytes()), ("bin/app", b"\x7fELF\0\0")]);
        let second = tar(&[("etc/.wh.key.pem", b""), ("etc/app.env", b"PORT=8080\n")]);
        let archive = tar(&[
            ("manifest.json", b"[{\"Config\":\"c.json\"}]"),
            ("blobs/sha256/aaaa", &first),
            ("blobs/sha256/bbbb", &second),
            ("c.json", b"{\"Env\":[\"DB_PASSWORD=hunter2hunter2\"]}"),
        ]);
        let scan = scan_image_archive(&archive, "app:1").unwrap();
        let lines: Vec<String> = scan.findings.iter().map(FileFinding::line).collect();
        assert_eq!(
            lines,
            [
                "app:1:/etc/key.pem:1: private-key: -----BEGIN ... PRIVATE KEY-----",
                "app:1:c.json:1: secret-assignment: {\"Env\":[\"DB_PASSWORD=hunt************"
            ]
        );
        assert_eq!((scan.layers, scan.scanned, scan.skipped), (2, 4, 1));
    }

    #[test]
    fn a_truncated_archive_or_a_compressed_layer_is_an_error() {
        let archive = tar(&[("etc/app.env", &[b'x'; 1000])]);
        let err = scan_image_archive(&archive[..700], "app:1").unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let archive = tar(&[("blobs/sha256/cccc", &[0x1f, 0x8b, 8, 0])]);
        let err = scan_image_archive(&archive, "app:1").unwrap_err();
        assert!(err.contains("compressed"), "{err}");
    }
}
