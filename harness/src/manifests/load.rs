//! Reading manifests: files and folders of multi-document YAML, and kustomize
//! folders (those holding a `kustomization.yaml`) rendered by `kubectl kustomize`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::Error;

/// One YAML document that holds an object.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from (for a kustomize folder, the folder).
    pub file: PathBuf,
    /// Its position in that file or rendering, from 0.
    pub index: usize,
    /// The line it starts on, from 1.
    pub line: usize,
    /// The object (shared: a CRD's schema is read from it without a copy).
    pub object: std::sync::Arc<Value>,
}

impl Document {
    /// `apiVersion`, or empty.
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }

    /// `kind`, or empty.
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    /// `metadata.name`, or empty.
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// Every document under `paths`, in order: files as given, folders walked in
/// name order (a folder with a `kustomization.yaml` rendered instead of walked).
/// A document that is not YAML is an error here; [`read`] goes on past it.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Document>, Error> {
    let loaded = read(paths)?;
    match loaded.broken.into_iter().next() {
        Some(broken) => Err(broken.into()),
        None => Ok(loaded.documents),
    }
}

/// A document that does not parse.
#[derive(Debug, Clone)]
pub struct Broken {
    /// The file.
    pub file: PathBuf,
    /// The document's index in it.
    pub index: usize,
    /// Where the parser stopped, from 1.
    pub line: usize,
    /// The column there, from 1.
    pub column: usize,
    /// What the parser said.
    pub message: String,
}

impl From<Broken> for Error {
    fn from(b: Broken) -> Self {
        Error::Yaml {
            path: b.file,
            index: b.index,
            line: b.line,
            column: b.column,
            message: b.message,
        }
    }
}

/// What [`read`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every document that parsed and holds something.
    pub documents: Vec<Document>,
    /// Every document that did not parse.
    pub broken: Vec<Broken>,
}

/// Like [`load`], but a document that does not parse is recorded and the rest
/// still read. Unreadable paths and failed renders are errors.
pub fn read(paths: &[PathBuf]) -> Result<Loaded, Error> {
    let mut loaded = Loaded::default();
    for path in paths {
        load_path(path, &mut loaded)?;
    }
    Ok(loaded)
}

fn load_path(path: &Path, out: &mut Loaded) -> Result<(), Error> {
    let read_error = |source| Error::Read { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if meta.is_dir() {
        if path.join("kustomization.yaml").is_file() || path.join("kustomization.yml").is_file() {
            let text = kustomize(path)?;
            parse_into(path, &text, out);
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read_error)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let yaml = entry.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if entry.is_dir() || yaml {
                load_path(&entry, out)?;
            }
        }
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    parse_into(path, &text, out);
    Ok(())
}

/// Splits `text` into documents; empty documents (a stray `---`) are skipped but
/// keep their index, so positions match what an editor (and PyYAML) shows. A
/// document that does not parse is an error naming its line and column.
pub fn parse(path: &Path, text: &str, out: &mut Vec<Document>) -> Result<(), Error> {
    let mut loaded = Loaded::default();
    parse_into(path, text, &mut loaded);
    out.append(&mut loaded.documents);
    match loaded.broken.into_iter().next() {
        Some(broken) => Err(broken.into()),
        None => Ok(()),
    }
}

/// Splits `text` at its document markers and parses each document alone, so
/// that one broken document does not hide the others.
pub fn parse_into(path: &Path, text: &str, out: &mut Loaded) {
    let chunks: Vec<(usize, (usize, &str))> = documents(text).into_iter().enumerate().collect();
    // A large file's documents are parsed on every core, in order-keeping runs.
    let threads = if text.len() < 256 << 10 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    // Runs of about equal bytes: one CRD can outweigh a hundred Services.
    let share = text.len().div_ceil(threads).max(1);
    let mut parts: Vec<&[(usize, (usize, &str))]> = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, (_, chunk))) in chunks.iter().enumerate() {
        bytes += chunk.len();
        if bytes >= share || i + 1 == chunks.len() {
            parts.push(&chunks[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    let parsed: Vec<Result<Document, Broken>> = std::thread::scope(|scope| {
        let workers: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter_map(|&(index, (line, chunk))| parse_one(path, index, line, chunk))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a YAML parsing thread panicked"))
            .collect()
    });
    for result in parsed {
        match result {
            Ok(doc) => out.documents.push(doc),
            Err(broken) => out.broken.push(broken),
        }
    }
}

/// One document: `None` when it is empty.
fn parse_one(
    path: &Path,
    index: usize,
    line: usize,
    chunk: &str,
) -> Option<Result<Document, Broken>> {
    match serde_yaml::from_str::<Value>(chunk) {
        Ok(Value::Null) => None,
        Ok(object) => Some(Ok(Document {
            file: path.to_owned(),
            index,
            line,
            object: std::sync::Arc::new(object),
        })),
        Err(e) => {
            let (at_line, column) =
                e.location().map_or((line, 1), |l| (line + l.line() - 1, l.column()));
            let message = e.to_string();
            // serde_yaml appends " at line L column C" of the document alone.
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            Some(Err(Broken { file: path.to_owned(), index, line: at_line, column, message }))
        }
    }
}

/// `(first line, text)` of each document of a YAML stream, as YAML counts
/// them: a `---` at the start of a line opens one; what precedes the first
/// marker is a document only if it holds more than comments and directives.
pub(super) fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut starts = vec![(1, 0)];
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let marker = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']));
        if marker && offset > 0 {
            starts.push((n + 1, offset));
        } else if marker {
            starts[0] = (1, 0);
        }
        offset += line.len();
    }
    let mut out: Vec<(usize, &str)> = starts
        .iter()
        .enumerate()
        .map(|(i, (line, start))| {
            let end = starts.get(i + 1).map_or(text.len(), |(_, s)| *s);
            (*line, &text[*start..end])
        })
        .collect();
    let preamble = out[0].1;
    let opens_with_marker = preamble.starts_with("---");
    let holds_content = preamble.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
    });
    if !opens_with_marker && !holds_content {
        out.remove(0);
    }
    out
}

/// `kubectl kustomize DIR`.
fn kustomize(dir: &Path) -> Result<String, Error> {
    let error = |message: String| Error::Kustomize { path: dir.to_owned(), message };
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|source| Error::NoKubectl { path: dir.to_owned(), source })?;
    if !out.status.success() {
        return Err(error(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    String::from_utf8(out.stdout).map_err(|e| error(format!("its output is not UTF-8: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_index_and_empty_ones_are_skipped() {
        let mut out = Vec::new();
        let text =
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\nkind: Service\n";
        parse(Path::new("x.yaml"), text, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].index, out[0].kind(), out[0].name()), (0, "ConfigMap", "a"));
        assert_eq!((out[1].index, out[1].line, out[1].kind()), (2, 5, "Service"));
    }

    #[test]
    fn bad_yaml_names_the_document() {
        let mut out = Vec::new();
        let err = parse(Path::new("x.yaml"), "a: 1\n---\nb: [unclosed\n", &mut out).unwrap_err();
        assert!(err.to_string().starts_with("x.yaml:4:1: document 1: not YAML"), "{err}");
    }

    #[test]
    fn a_broken_document_is_located_and_the_others_still_read() {
        let mut loaded = Loaded::default();
        let text = "# header\n---\nkind: A\n---\nkind: B\n  bad: indent\n---\nkind: C\n";
        parse_into(Path::new("x.yaml"), text, &mut loaded);
        let kinds: Vec<(usize, usize, &str)> =
            loaded.documents.iter().map(|d| (d.index, d.line, d.kind())).collect();
        assert_eq!(kinds, [(0, 2, "A"), (2, 7, "C")]);
        let broken = &loaded.broken[0];
        assert_eq!((broken.index, broken.line, broken.column), (1, 6, 6), "{broken:?}");
        assert!(!broken.message.contains(" at line "), "{}", broken.message);
    }

    #[test]
    fn documents_are_counted_as_yaml_counts_them() {
        let count = |text: &str| documents(text).len();
        assert_eq!(count(""), 0);
        assert_eq!(count("a: 1\n"), 1);
        assert_eq!(count("---\na: 1\n"), 1);
        assert_eq!(count("# c\n%YAML 1.2\n---\na: 1\n---\nb: 2\n"), 2);
        assert_eq!(count("a: 1\n---\n---\nb: 2\n"), 3);
        assert_eq!(count("a: |\n  ---not a marker\n---x: 1\n"), 1);
    }
}
