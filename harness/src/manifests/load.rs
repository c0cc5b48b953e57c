//! Reading manifests: files and folders of multi-document YAML, and kustomize
//! folders (those holding a `kustomization.yaml`) rendered by `kubectl kustomize`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

use super::Error;

/// One YAML document that holds an object.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from (for a kustomize folder, the folder).
    pub file: PathBuf,
    /// Its position in that file or rendering, from 0.
    pub index: usize,
    /// The object.
    pub object: Value,
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
pub fn load(paths: &[PathBuf]) -> Result<Vec<Document>, Error> {
    let mut documents = Vec::new();
    for path in paths {
        load_path(path, &mut documents)?;
    }
    Ok(documents)
}

fn load_path(path: &Path, out: &mut Vec<Document>) -> Result<(), Error> {
    let read_error = |source| Error::Read { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if meta.is_dir() {
        if path.join("kustomization.yaml").is_file() || path.join("kustomization.yml").is_file() {
            let text = kustomize(path)?;
            return parse(path, &text, out);
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
    parse(path, &text, out)
}

/// Splits `text` into documents; empty documents (a stray `---`) are skipped but
/// keep their index, so positions match what an editor shows.
pub fn parse(path: &Path, text: &str, out: &mut Vec<Document>) -> Result<(), Error> {
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(doc).map_err(|source| Error::Yaml {
            path: path.to_owned(),
            index,
            source,
        })?;
        if !value.is_null() {
            out.push(Document { file: path.to_owned(), index, object: value });
        }
    }
    Ok(())
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
        assert_eq!((out[1].index, out[1].kind()), (2, "Service"));
    }

    #[test]
    fn bad_yaml_names_the_document() {
        let mut out = Vec::new();
        let err = parse(Path::new("x.yaml"), "a: 1\n---\nb: [unclosed\n", &mut out).unwrap_err();
        assert!(err.to_string().starts_with("x.yaml: document 1: not YAML"), "{err}");
    }
}
