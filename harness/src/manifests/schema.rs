//! Schema validation against the vendored Kubernetes JSON Schemas
//! (`schemas/kubernetes/v<version>/`): each object's `apiVersion` and `kind`
//! pick a schema by its `x-kubernetes-group-version-kind`; a version or a kind
//! without a schema is a finding, never a silent skip.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::{Document, Error, Finding};

/// The Kubernetes versions vendored, newest last.
pub const VERSIONS: &[&str] = &["1.33", "1.37"];
/// The version used when none is asked for.
pub const DEFAULT_VERSION: &str = "1.37";

/// The schemas of one Kubernetes version, compiled on first use.
pub struct Schemas {
    version: String,
    files: HashMap<(String, String), PathBuf>,
    compiled: Mutex<HashMap<(String, String), Arc<jsonschema::Validator>>>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("version", &self.version)
            .field("kinds", &self.files.len())
            .finish()
    }
}

impl Schemas {
    /// The vendored schemas of `version` (`1.37`) under `root` (the folder
    /// holding `v1.33/`, `v1.37/`, ...); `Err` names the versions there are.
    pub fn open(root: &Path, version: &str) -> Result<Self, Error> {
        let dir = root.join(format!("v{version}"));
        let entries = std::fs::read_dir(&dir).map_err(|_| Error::NoSchemas {
            version: version.to_owned(),
            vendored: VERSIONS.join(", "),
        })?;
        let mut files = HashMap::new();
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|source| Error::Read { path: path.clone(), source })?;
            let schema: Value = serde_json::from_str(&text)
                .map_err(|source| Error::Schema { path: path.clone(), source })?;
            for gvk in schema["x-kubernetes-group-version-kind"].as_array().into_iter().flatten() {
                let (group, version, kind) = (
                    gvk["group"].as_str().unwrap_or_default(),
                    gvk["version"].as_str().unwrap_or_default(),
                    gvk["kind"].as_str().unwrap_or_default(),
                );
                let api_version = if group.is_empty() {
                    version.to_owned()
                } else {
                    format!("{group}/{version}")
                };
                files.insert((api_version, kind.to_owned()), path.clone());
            }
        }
        Ok(Self { version: version.to_owned(), files, compiled: Mutex::new(HashMap::new()) })
    }

    /// The Kubernetes version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Validates `doc`; in `strict` mode unknown fields are findings too.
    pub fn validate(&self, doc: &Document, strict: bool) -> Vec<Finding> {
        let (api_version, kind) = (doc.api_version(), doc.kind());
        if api_version.is_empty() || kind.is_empty() {
            return vec![Finding::new(
                doc,
                "",
                "schema.type-meta",
                "the object has no apiVersion or kind",
            )];
        }
        let key = (api_version.to_owned(), kind.to_owned());
        let validator = match self.validator(&key) {
            Ok(Some(v)) => v,
            Ok(None) => {
                return vec![Finding::new(
                    doc,
                    "",
                    "schema.unknown-kind",
                    &format!(
                        "no schema for {kind} {api_version} in Kubernetes {}: unknown kind or API version",
                        self.version
                    ),
                )];
            }
            Err(e) => return vec![Finding::new(doc, "", "schema.unreadable", &e.to_string())],
        };
        let mut findings: Vec<Finding> = validator
            .iter_errors(&doc.object)
            .filter_map(|error| {
                let unknown =
                    matches!(error.kind(), ValidationErrorKind::AdditionalProperties { .. });
                if unknown && !strict {
                    return None;
                }
                let rule = if unknown { "schema.unknown-field" } else { "schema.invalid" };
                Some(Finding::new(
                    doc,
                    &error.instance_path().to_string(),
                    rule,
                    &error.to_string(),
                ))
            })
            .collect();
        findings.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        findings
    }

    fn validator(
        &self,
        key: &(String, String),
    ) -> Result<Option<Arc<jsonschema::Validator>>, Error> {
        if let Some(v) = self.compiled.lock().expect("schema cache").get(key) {
            return Ok(Some(v.clone()));
        }
        let Some(path) = self.files.get(key) else { return Ok(None) };
        let text = std::fs::read_to_string(path)
            .map_err(|source| Error::Read { path: path.clone(), source })?;
        let schema: Value = serde_json::from_str(&text)
            .map_err(|source| Error::Schema { path: path.clone(), source })?;
        let validator =
            Arc::new(jsonschema::validator_for(&schema).map_err(|e| Error::SchemaInvalid {
                path: path.clone(),
                message: e.to_string(),
            })?);
        self.compiled.lock().expect("schema cache").insert(key.clone(), validator.clone());
        Ok(Some(validator))
    }
}

/// The folder of vendored schemas in this checkout.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/kubernetes")
}
