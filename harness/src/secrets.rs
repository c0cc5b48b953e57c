//! Secrets by pattern: private keys, cloud and forge tokens, and assignments of
//! values to names that say password, secret, token or key. Used on image
//! environments and histories, and on files (`gauntlet secrets`, which
//! `cargo xtask validate` runs on the tracked files) with an allow-list for
//! known test values.

use std::path::{Path, PathBuf};

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A line of the allow-list is not `PATH RULE`.
    #[error("line {line}: expected `PATH RULE`, found `{text}`")]
    AllowList {
        /// Its number, from 1.
        line: usize,
        /// What it says.
        text: String,
    },
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An image archive is not what `docker save` writes, or is cut short; the
    /// text says where.
    #[error("{0}")]
    Archive(String),
}

/// `map_err` for reading `path`.
fn read(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Read { path: path.to_owned(), source }
}

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
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let [path, rule] = words[..] else {
                return Err(Error::AllowList { line: n + 1, text: line.to_owned() });
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
pub fn scan_files(paths: &[PathBuf]) -> Result<Vec<FileFinding>, Error> {
    let mut out = Vec::new();
    for path in paths {
        scan_path(path, &mut out)?;
    }
    Ok(out)
}

fn scan_path(path: &Path, out: &mut Vec<FileFinding>) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(read(path))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read(path))?
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
    let bytes = std::fs::read(path).map_err(read(path))?;
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
pub fn scan_image_archive(archive: &[u8], reference: &str) -> Result<ArchiveScan, Error> {
    let mut out = ArchiveScan::default();
    let outer =
        tar_entries(archive).map_err(|e| Error::Archive(format!("the image archive: {e}")))?;
    let mut opened = Vec::new();
    for entry in &outer.files {
        if is_tar(entry.data) || is_empty_tar(entry.data) {
            out.layers += 1;
            opened.push(entry.path.as_str());
            let files = tar_entries(entry.data)
                .map_err(|e| Error::Archive(format!("layer {} of {reference}: {e}", entry.path)))?
                .files;
            for file in files {
                let name = format!("{reference}:/{}", file.path.trim_start_matches("./"));
                scan_blob(&name, file.data, &mut out);
            }
        } else if entry.data.starts_with(&[0x1f, 0x8b])
            || entry.data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        {
            return Err(Error::Archive(format!(
                "layer {} of {reference} is compressed (gzip or zstd, as the containerd image store \
                 saves them); this reads uncompressed layers only",
                entry.path
            )));
        } else {
            scan_blob(&format!("{reference}:{}", entry.path), entry.data, &mut out);
        }
    }
    // Every layer the image is made of was opened: none left unread because
    // it sat where this did not look for it.
    for layer in listed_layers(&outer, reference)? {
        let held = resolve_link(&layer, &outer.links);
        if !opened.contains(&held.as_str()) {
            return Err(Error::Archive(format!(
                "manifest.json of {reference} lists the layer {layer}, which the archive does not \
                 hold as a tar this could open: it was not scanned"
            )));
        }
    }
    Ok(out)
}

/// The `Layers` of every image in the archive's `manifest.json`.
fn listed_layers(archive: &Tar<'_>, reference: &str) -> Result<Vec<String>, Error> {
    let manifest = archive.files.iter().find(|f| f.path == "manifest.json").ok_or_else(|| {
        Error::Archive(format!(
            "the archive of {reference} has no manifest.json: not what `docker save` writes"
        ))
    })?;
    let doc: serde_json::Value = serde_json::from_slice(manifest.data)
        .map_err(|e| Error::Archive(format!("manifest.json of {reference}: {e}")))?;
    let images = doc
        .as_array()
        .ok_or_else(|| Error::Archive(format!("manifest.json of {reference} is not a list")))?;
    let mut layers = Vec::new();
    for image in images {
        let listed = image["Layers"].as_array().ok_or_else(|| {
            Error::Archive(format!("manifest.json of {reference}: an image without `Layers`"))
        })?;
        layers.extend(listed.iter().filter_map(|l| l.as_str()).map(str::to_owned));
    }
    Ok(layers)
}

/// `path` with symbolic links followed (relative to the link's folder, as the
/// legacy `docker save` layout links a repeated layer to its first copy).
fn resolve_link(path: &str, links: &[(String, String)]) -> String {
    let mut path = path.to_owned();
    for _ in 0..8 {
        let Some((link, target)) = links.iter().find(|(link, _)| *link == path) else { break };
        let base =
            if target.starts_with('/') { "" } else { link.rsplit_once('/').map_or("", |(d, _)| d) };
        let mut parts: Vec<&str> = Vec::new();
        for part in base.split('/').chain(target.split('/')) {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                part => parts.push(part),
            }
        }
        path = parts.join("/");
    }
    path
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

/// What a tar holds: its regular files, and its links as `(path, target)`.
#[derive(Default)]
struct Tar<'a> {
    files: Vec<TarFile<'a>>,
    links: Vec<(String, String)>,
}

/// An empty tar: only end-of-archive blocks (the empty layer Docker writes).
fn is_empty_tar(data: &[u8]) -> bool {
    data.len() >= 1024 && data.len().is_multiple_of(512) && data.iter().all(|b| *b == 0)
}

/// Whether `data` starts with a POSIX or GNU tar header.
fn is_tar(data: &[u8]) -> bool {
    data.len() >= 512 && data[257..262] == *b"ustar"
}

/// The regular files of a tar (ustar, with GNU long names and pax paths), in
/// order; links, folders and whiteouts are left out.
fn tar_entries(data: &[u8]) -> Result<Tar<'_>, Error> {
    let mut tar = Tar::default();
    let mut at = 0;
    let mut long_name: Option<String> = None;
    let mut long_link: Option<String> = None;
    let mut pax_size: Option<usize> = None;
    while at + 512 <= data.len() {
        let header = &data[at..at + 512];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        if !checksum_matches(header) {
            return Err(Error::Archive(format!(
                "the header at byte {at} fails its checksum: not a tar, or corrupt"
            )));
        }
        let size = match pax_size.take() {
            Some(size) if matches!(header[156], b'0' | 0) => size,
            _ => tar_size(&header[124..136])
                .ok_or_else(|| Error::Archive(format!("a bad size at byte {at}")))?,
        };
        let start = at + 512;
        let end = start.checked_add(size).filter(|e| *e <= data.len()).ok_or_else(|| {
            Error::Archive(format!(
                "an entry at byte {at} runs past the end: the archive is truncated"
            ))
        })?;
        let body = &data[start..end];
        let field = |range: std::ops::Range<usize>| field_text(&header[range]);
        match header[156] {
            b'L' => long_name = Some(field_text(body)),
            b'K' => long_link = Some(field_text(body)),
            b'x' => {
                long_name = pax_record(body, "path").or(long_name);
                long_link = pax_record(body, "linkpath").or(long_link);
                pax_size = pax_record(body, "size").and_then(|s| s.parse().ok());
            }
            flag @ (b'0' | 0 | b'1' | b'2') => {
                let path = long_name.take().unwrap_or_else(|| {
                    let (prefix, name) = (field(345..500), field(0..100));
                    if prefix.is_empty() { name } else { format!("{prefix}/{name}") }
                });
                let base = path.rsplit('/').next().unwrap_or_default();
                if matches!(flag, b'1' | b'2') {
                    let target = long_link.take().unwrap_or_else(|| field(157..257));
                    tar.links.push((path, target));
                } else if !base.starts_with(".wh.") {
                    tar.files.push(TarFile { path, data: body });
                }
            }
            _ => (long_name, long_link) = (None, None),
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(tar)
}

/// The header checksum: the bytes summed with the checksum field read as spaces.
fn checksum_matches(header: &[u8]) -> bool {
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(*b) })
        .sum();
    let field: String =
        header[148..156].iter().map(|b| *b as char).filter(char::is_ascii_digit).collect();
    u32::from_str_radix(&field, 8).is_ok_and(|stored| stored == sum)
}

/// A size field: octal digits (leading spaces allowed), or base-256 when the
/// top bit is set.
fn tar_size(field: &[u8]) -> Option<usize> {
    if field[0] & 0x80 != 0 {
        let first = usize::from(field[0] & 0x7f);
        return field[1..]
            .iter()
            .try_fold(first, |n, b| n.checked_mul(256)?.checked_add(usize::from(*b)));
    }
    let digits: String = field
        .iter()
        .map(|b| *b as char)
        .skip_while(|c| *c == ' ')
        .take_while(|c| *c != '\0' && *c != ' ')
        .collect();
    if digits.is_empty() { Some(0) } else { usize::from_str_radix(&digits, 8).ok() }
}

fn field_text(body: &[u8]) -> String {
    let len = body.iter().position(|b| *b == 0).unwrap_or(body.len());
    String::from_utf8_lossy(&body[..len]).into_owned()
}

/// Record `key` of a pax extended header: `LEN key=VALUE\n` records, read by
/// their length (values such as xattrs may hold any byte).
fn pax_record(body: &[u8], key: &str) -> Option<String> {
    let mut rest = body;
    while !rest.is_empty() {
        let space = rest.iter().position(|b| *b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        let record = rest.get(space + 1..len)?;
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(value) = record.strip_prefix(format!("{key}=").as_bytes()) {
            return Some(String::from_utf8_lossy(value).into_owned());
        }
        rest = &rest[len..];
    }
    None
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
        assert!(AllowList::parse("just-a-path\n").unwrap_err().to_string().contains("line 1"));
    }

    #[test]
    fn excerpts_are_masked() {
        let found = scan("DB_PASSWORD=hunter2hunter2");
        assert_eq!(found[0].excerpt, "DB_PASSWORD=hunt**********");
    }

    /// One ustar entry: header (checksummed) and data, padded to 512.
    fn entry(path: &str, flag: u8, data: &[u8]) -> Vec<u8> {
        linked_entry(path, flag, data, "")
    }

    /// [`entry`] with a link name (`linkname`, for link entries).
    fn linked_entry(path: &str, flag: u8, data: &[u8], linkname: &str) -> Vec<u8> {
        let mut header = [0u8; 512];
        header[..path.len()].copy_from_slice(path.as_bytes());
        header[157..157 + linkname.len()].copy_from_slice(linkname.as_bytes());
        header[100..107].copy_from_slice(b"0000644");
        header[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        header[156] = flag;
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        header[148..156].copy_from_slice(b"        ");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut out = header.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    /// A tar of `(path, contents)` regular files, with the end-of-archive blocks.
    pub(crate) fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out: Vec<u8> = files.iter().flat_map(|(p, d)| entry(p, b'0', d)).collect();
        out.resize(out.len() + 1024, 0);
        out
    }

    /// One pax record, `LEN key=value\n`, its length counting itself.
    fn record(key: &str, value: &str) -> String {
        let body = format!(" {key}={value}\n");
        let mut digits = 1;
        while (body.len() + digits).to_string().len() != digits {
            digits += 1;
        }
        format!("{}{body}", body.len() + digits)
    }

    #[test]
    fn image_layers_are_opened_and_their_text_files_scanned() {
        let key = ["-----BEGIN EC ", "PRIVATE KEY-----\nMHcC\n"].concat();
        let first = tar(&[("etc/key.pem", key.as_bytes()), ("bin/app", b"\x7fELF\0\0")]);
        let second = tar(&[("etc/.wh.key.pem", b""), ("etc/app.env", b"PORT=8080\n")]);
        let archive = tar(&[
            (
                "manifest.json",
                b"[{\"Config\":\"c.json\",\"Layers\":[\"blobs/sha256/aaaa\",\"blobs/sha256/bbbb\"]}]",
            ),
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

    /// A symbolic link entry, `path` -> `target`.
    fn link(path: &str, target: &str) -> Vec<u8> {
        linked_entry(path, b'2', b"", target)
    }

    #[test]
    fn every_layer_the_manifest_lists_must_have_been_opened() {
        let layer = tar(&[("etc/app.env", b"PORT=8080\n")]);
        let manifest = |layers: &str| format!("[{{\"Config\":\"c.json\",\"Layers\":[{layers}]}}]");
        // Legacy layout: a repeated layer is a link to its first copy; the
        // empty layer is end-of-archive blocks alone.
        let listed = manifest("\"a1/layer.tar\",\"b2/layer.tar\",\"e3/layer.tar\"");
        let mut archive = tar(&[
            ("manifest.json", listed.as_bytes()),
            ("a1/layer.tar", &layer),
            ("e3/layer.tar", &[0; 1024]),
        ]);
        archive.truncate(archive.len() - 1024);
        archive.extend(link("b2/layer.tar", "../a1/layer.tar"));
        archive.resize(archive.len() + 1024, 0);
        let scan = scan_image_archive(&archive, "app:1").unwrap();
        assert_eq!((scan.layers, scan.findings.len()), (2, 0));

        // A listed layer the archive lacks, or holds as something not a tar.
        let listed = manifest("\"a1/layer.tar\",\"zz/layer.tar\"");
        let archive = tar(&[("manifest.json", listed.as_bytes()), ("a1/layer.tar", &layer)]);
        let err = scan_image_archive(&archive, "app:1").unwrap_err();
        assert!(
            err.to_string()
                .contains("lists the layer zz/layer.tar, which the archive does not hold"),
            "{err}"
        );
        let listed = manifest("\"a1/layer.tar\"");
        let archive = tar(&[("manifest.json", listed.as_bytes()), ("a1/layer.tar", b"not a tar")]);
        assert!(
            scan_image_archive(&archive, "app:1").unwrap_err().to_string().contains("not scanned")
        );

        // No manifest at all, or one without layers.
        let err = scan_image_archive(&tar(&[("a1/layer.tar", &layer)]), "app:1").unwrap_err();
        assert!(err.to_string().contains("has no manifest.json"), "{err}");
        let archive = tar(&[("manifest.json", b"[{\"Config\":\"c.json\"}]")]);
        assert!(
            scan_image_archive(&archive, "app:1")
                .unwrap_err()
                .to_string()
                .contains("without `Layers`")
        );
    }

    #[test]
    fn links_resolve_against_their_folder() {
        let links = vec![
            ("b2/layer.tar".to_owned(), "../a1/layer.tar".to_owned()),
            ("c3/layer.tar".to_owned(), "../b2/layer.tar".to_owned()),
            ("d4/layer.tar".to_owned(), "/blobs/sha256/ff".to_owned()),
        ];
        assert_eq!(resolve_link("c3/layer.tar", &links), "a1/layer.tar");
        assert_eq!(resolve_link("d4/layer.tar", &links), "blobs/sha256/ff");
        assert_eq!(resolve_link("a1/layer.tar", &links), "a1/layer.tar");
    }

    #[test]
    fn a_truncated_archive_or_a_compressed_layer_is_an_error() {
        let archive = tar(&[("etc/app.env", &[b'x'; 1000])]);
        let err = scan_image_archive(&archive[..700], "app:1").unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
        let archive = tar(&[("blobs/sha256/cccc", &[0x1f, 0x8b, 8, 0])]);
        let err = scan_image_archive(&archive, "app:1").unwrap_err();
        assert!(err.to_string().contains("compressed"), "{err}");
        let archive = tar(&[("blobs/sha256/dddd", &[0x28, 0xb5, 0x2f, 0xfd, 0])]);
        assert!(scan_image_archive(&archive, "app:1").unwrap_err().to_string().contains("zstd"));
        let mut archive = tar(&[("etc/app.env", b"PORT=8080\n")]);
        archive[0] = b'x';
        let err = scan_image_archive(&archive, "app:1").unwrap_err();
        assert!(err.to_string().contains("fails its checksum"), "{err}");
    }

    #[test]
    fn pax_headers_give_the_path_and_the_size() {
        let data = b"API_KEY=s3cr3tvalue\n";
        let records = record("path", "a/very/long/path/to/app.env")
            + &record("size", &data.len().to_string())
            + &record("SCHILY.xattr.security.capability", "\u{1}\u{2}");
        // The file's own size field says 0, as Go's writer leaves it past 8 GiB.
        let mut archive = entry("PaxHeaders/x", b'x', records.as_bytes());
        let mut file = entry("short", b'0', b"");
        file.extend_from_slice(data);
        file.resize(file.len().div_ceil(512) * 512, 0);
        archive.extend(file);
        archive.resize(archive.len() + 1024, 0);
        let files = tar_entries(&archive).unwrap().files;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "a/very/long/path/to/app.env");
        assert_eq!(files[0].data, data);
    }
}
