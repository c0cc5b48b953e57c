//! Schema validation. The built-in kinds of each Kubernetes version from 1.25
//! to 1.37 come from the definitions vendored in `schemas/kubernetes/`,
//! embedded in the binary deflated (`build.rs`); a kind's standalone schema is
//! built from them on first use. Custom resources are held to their CRD's
//! schema (`crd`). An object whose API was removed is named as such (`apis`);
//! one with no schema anywhere is a finding, never a silent pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};

use super::apis::{self, Status};
use super::crd::{self, Crds};
use super::{Document, Error, Finding};

/// `(version, deflated definitions, their length inflated)`, oldest first.
const EMBEDDED: &[(&str, &[u8], usize)] = include!(concat!(env!("OUT_DIR"), "/kubernetes.rs"));

/// The Kubernetes versions vendored, oldest first.
pub const VERSIONS: &[&str] = &[
    "1.25", "1.26", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36",
    "1.37",
];
/// The version used when none is asked for: the newest.
pub const DEFAULT_VERSION: &str = "1.37";
/// The definition every object's `metadata` follows.
pub const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// A vendored version from what a user wrote: `1.30`, `1.30.4` or `v1.30.4`
/// give `1.30`; anything else is an error naming the supported range.
pub fn version(asked: &str) -> Result<&'static str, Error> {
    let bare = asked.strip_prefix('v').unwrap_or(asked);
    let parts: Vec<&str> = bare.split('.').collect();
    let numeric = parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let minor = match parts.as_slice() {
        [major, minor] | [major, minor, _] if numeric => format!("{major}.{minor}"),
        _ => String::new(),
    };
    VERSIONS.iter().find(|v| **v == minor).copied().ok_or_else(|| Error::Version {
        asked: asked.to_owned(),
        oldest: VERSIONS[0],
        newest: VERSIONS[VERSIONS.len() - 1],
    })
}

/// `1.30` → 30.
fn minor_of(version: &str) -> u32 {
    version.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or_default()
}

/// What a document's type was checked against, or why it could not be.
#[derive(Clone)]
enum Found {
    Schema(Arc<jsonschema::Validator>),
    /// A built-in group without that kind and version.
    UnknownKind,
    /// A custom resource with no CRD (the message says where one can come from).
    NoCrd(String),
    /// A schema that would not load.
    Unreadable(String),
}

/// The schemas of one Kubernetes version, and the CRDs of a run; compiled on
/// first use.
pub struct Schemas {
    version: &'static str,
    /// The version's definitions file, inflated: one definition a line.
    text: String,
    /// A definition's name → the byte range of its JSON in `text`; parsed
    /// only when a kind that reaches it is first validated.
    defs: HashMap<String, std::ops::Range<usize>>,
    /// `(apiVersion, kind)` → the definition's name.
    built_in: HashMap<(String, String), String>,
    /// API groups with built-in kinds (`""` is the core group).
    groups: HashSet<String>,
    crds: Crds,
    compiled: Mutex<HashMap<(String, String), Found>>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("version", &self.version)
            .field("kinds", &self.built_in.len())
            .field("crds", &self.crds.len())
            .finish()
    }
}

impl Schemas {
    /// The built-in kinds of Kubernetes `version` (anything [`version`] reads).
    pub fn new(version: &str) -> Result<Self, Error> {
        let version = self::version(version)?;
        let (_, deflated, length) = EMBEDDED
            .iter()
            .find(|(v, _, _)| *v == version)
            .ok_or_else(|| Error::Embedded(format!("no schemas embedded for {version}")))?;
        let text = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, *length)
            .map_err(|e| Error::Embedded(format!("Kubernetes {version}: {e:?}")))?;
        let text = String::from_utf8(text)
            .map_err(|e| Error::Embedded(format!("Kubernetes {version}: {e}")))?;
        let defs = index(&text);
        if defs.is_empty() {
            return Err(Error::Embedded(format!("Kubernetes {version}: no definitions")));
        }
        let (mut built_in, mut groups) = (HashMap::new(), HashSet::new());
        for (name, range) in &defs {
            // Only a kind says which group/version/kind it validates.
            if !text[range.clone()].contains("\"x-kubernetes-group-version-kind\"") {
                continue;
            }
            let def: Value = serde_json::from_str(&text[range.clone()])
                .map_err(|e| Error::Embedded(format!("Kubernetes {version}: {name}: {e}")))?;
            for gvk in def["x-kubernetes-group-version-kind"].as_array().into_iter().flatten() {
                let (group, v, kind) = (
                    gvk["group"].as_str().unwrap_or_default(),
                    gvk["version"].as_str().unwrap_or_default(),
                    gvk["kind"].as_str().unwrap_or_default(),
                );
                let api_version =
                    if group.is_empty() { v.to_owned() } else { format!("{group}/{v}") };
                // A kind's own definition, not a shared one (DeleteOptions names every group).
                let own = def["properties"]["kind"]["enum"]
                    .as_array()
                    .is_none_or(|kinds| kinds.iter().any(|k| k == kind));
                if own {
                    built_in.entry((api_version, kind.to_owned())).or_insert_with(|| name.clone());
                }
                groups.insert(group.to_owned());
            }
        }
        groups.extend(apis::TABLE.iter().map(|a| group_of(a.api_version).to_owned()));
        Ok(Self {
            version,
            text,
            defs,
            built_in,
            groups,
            crds: Crds::default(),
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// These schemas, with custom resources held to `crds`.
    pub fn with_crds(mut self, crds: Crds) -> Self {
        self.crds = crds;
        self.compiled.lock().expect("schema cache").clear();
        self
    }

    /// The Kubernetes version (`1.37`).
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// How many built-in group/version/kinds there are.
    pub fn kinds(&self) -> usize {
        self.built_in.len()
    }

    /// Whether `api_version` `kind` is built in.
    pub fn is_built_in(&self, api_version: &str, kind: &str) -> bool {
        self.built_in.contains_key(&(api_version.to_owned(), kind.to_owned()))
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
        if api_version == "v1" && kind == "List" {
            return self.validate_list(doc, strict);
        }
        let mut findings = Vec::new();
        match apis::status(api_version, kind, minor_of(self.version)) {
            Some(Status::Removed(api)) => {
                return vec![Finding::new(doc, "", "api.removed", &api.removed_message())];
            }
            Some(Status::Deprecated(api)) => findings
                .push(Finding::new(doc, "", "api.deprecated", &api.deprecated_message()).warning()),
            None => {}
        }
        let validator = match self.find(api_version, kind) {
            Found::Schema(v) => v,
            Found::UnknownKind => {
                findings.push(Finding::new(
                    doc,
                    "",
                    "schema.unknown-kind",
                    &format!(
                        "Kubernetes {} has no kind {kind} in {api_version}: unknown kind or API version",
                        self.version
                    ),
                ));
                return findings;
            }
            Found::NoCrd(message) => {
                findings.push(Finding::new(doc, "", "schema.no-crd", &message));
                return findings;
            }
            Found::Unreadable(message) => {
                findings.push(Finding::new(doc, "", "schema.unreadable", &message));
                return findings;
            }
        };
        let mut errors: Vec<Finding> = validator
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
        errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        findings.extend(errors);
        findings
    }

    /// A `v1 List` (kubectl's client-side list, no kind of the API server):
    /// each item is validated as an object of its own, located under `/items/N`.
    fn validate_list(&self, doc: &Document, strict: bool) -> Vec<Finding> {
        let Some(items) = doc.object["items"].as_array() else {
            return vec![Finding::new(
                doc,
                "/items",
                "schema.invalid",
                "a v1 List has no items array",
            )];
        };
        let mut findings = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let one = Document { object: Arc::new(item.clone()), ..doc.clone() };
            findings.extend(self.validate(&one, strict).into_iter().map(|mut f| {
                f.pointer = format!("/items/{i}{}", f.pointer);
                f
            }));
        }
        findings
    }

    fn find(&self, api_version: &str, kind: &str) -> Found {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = self.compiled.lock().expect("schema cache").get(&key) {
            return found.clone();
        }
        let found = self.load(api_version, kind);
        self.compiled.lock().expect("schema cache").insert(key, found.clone());
        found
    }

    fn load(&self, api_version: &str, kind: &str) -> Found {
        let schema = if let Some(name) = self.built_in.get(&(api_version.into(), kind.into())) {
            match self.def(name) {
                Some(def) => standalone(&def, &|name| self.def(name)),
                None => return Found::Unreadable(format!("no definition {name}")),
            }
        } else {
            let group = group_of(api_version);
            let version = api_version.rsplit('/').next().unwrap_or(api_version);
            match self.crds.lookup(group, version, kind) {
                crd::Lookup::OpenApi(open_api) => {
                    standalone(&crd::custom_resource_schema(&open_api), &|name| self.def(name))
                }
                crd::Lookup::JsonSchema(schema) => schema,
                crd::Lookup::Refused(message) => return Found::NoCrd(message),
                crd::Lookup::Unreadable(message) => return Found::Unreadable(message),
                crd::Lookup::Nothing if self.groups.contains(group) => return Found::UnknownKind,
                crd::Lookup::Nothing => {
                    return Found::NoCrd(crd::missing_message(
                        group,
                        version,
                        kind,
                        self.crds.locations(),
                    ));
                }
            }
        };
        match jsonschema::validator_for(&schema) {
            Ok(v) => Found::Schema(Arc::new(v)),
            Err(e) => Found::Unreadable(format!("the schema for {api_version} {kind}: {e}")),
        }
    }
}

/// `apps/v1` → `apps`; `v1` → `` (the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

impl Schemas {
    /// The definition `name`, parsed.
    fn def(&self, name: &str) -> Option<Value> {
        let range = self.defs.get(name)?;
        serde_json::from_str(&self.text[range.clone()]).ok()
    }
}

/// Each definition's name and the byte range of its JSON, from the file's
/// layout: a first line with the comment, then `"name":{...},` a line.
fn index(text: &str) -> HashMap<String, std::ops::Range<usize>> {
    let mut defs = HashMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']).trim_end_matches(',');
        let Some(rest) = body.strip_prefix('"') else { continue };
        let Some((name, value)) = rest.split_once("\":") else { continue };
        if !value.starts_with('{') || name.contains(['"', '\\']) {
            continue;
        }
        let from = start + 1 + name.len() + 2;
        defs.insert(name.to_owned(), from..from + value.len());
    }
    defs
}

/// `schema` with every definition it reaches (through `resolve`) copied into local `$defs`.
pub fn standalone(schema: &Value, resolve: &dyn Fn(&str) -> Option<Value>) -> Value {
    let mut reached = BTreeMap::new();
    collect(schema, resolve, &mut reached);
    let mut root = match schema {
        Value::Object(body) => body.clone(),
        _ => Map::new(),
    };
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    if !reached.is_empty() {
        root.insert("$defs".into(), Value::Object(reached.into_iter().collect()));
    }
    Value::Object(root)
}

fn collect(
    value: &Value,
    resolve: &dyn Fn(&str) -> Option<Value>,
    reached: &mut BTreeMap<String, Value>,
) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref")
                && let Some(name) = reference.strip_prefix("#/$defs/")
                && !reached.contains_key(name)
                && let Some(def) = resolve(name)
            {
                reached.insert(name.to_owned(), def.clone());
                collect(&def, resolve, reached);
            }
            object.values().for_each(|v| collect(v, resolve, reached));
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, resolve, reached)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_users_write_them_and_others_name_the_range() {
        assert_eq!(version("1.30").unwrap(), "1.30");
        assert_eq!(version("1.30.4").unwrap(), "1.30");
        assert_eq!(version("v1.25.0").unwrap(), "1.25");
        for bad in ["1.24", "1.38", "2.30", "1", "1.3x", "latest", "", "1.30.4.1", "1..30"] {
            let err = version(bad).unwrap_err().to_string();
            assert!(err.contains("1.25") && err.contains("1.37"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_vendored_version_is_embedded_and_loads() {
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(v, _, _)| *v).collect();
        assert_eq!(embedded, VERSIONS);
        assert_eq!(VERSIONS.last(), Some(&DEFAULT_VERSION));
        for v in VERSIONS {
            let schemas = Schemas::new(v).unwrap();
            assert!(schemas.kinds() > 100, "{v}: {} kinds", schemas.kinds());
            assert!(schemas.is_built_in("apiextensions.k8s.io/v1", "CustomResourceDefinition"));
            assert!(schemas.def(OBJECT_META).is_some());
            assert_eq!(
                schemas.defs.len(),
                schemas.text.lines().count() - 2,
                "one definition a line"
            );
        }
    }

    /// Every removal the table names is gone from that release on and served
    /// the release before; every beta or GA kind that disappears between two
    /// vendored versions is in the table with that release.
    #[test]
    fn the_removed_api_table_agrees_with_the_vendored_schemas() {
        let all: Vec<Schemas> = VERSIONS.iter().map(|v| Schemas::new(v).unwrap()).collect();
        for api in apis::TABLE {
            for schemas in &all {
                let minor = minor_of(schemas.version);
                let served = schemas.is_built_in(api.api_version, api.kind);
                match api.removed {
                    Some(removed) if minor >= removed => {
                        assert!(!served, "{api:?} is still served in {}", schemas.version)
                    }
                    Some(removed) if minor + 1 == removed => {
                        assert!(served, "{api:?} is not served in {}", schemas.version)
                    }
                    None if minor >= api.deprecated => {
                        assert!(served, "{api:?} is not served in {}", schemas.version)
                    }
                    _ => {}
                }
            }
        }
        for pair in all.windows(2) {
            let minor = minor_of(pair[1].version);
            for (api_version, kind) in pair[0].built_in.keys() {
                if api_version.contains("alpha")
                    || kind.ends_with("List")
                    || pair[1].is_built_in(api_version, kind)
                    || pair[0]
                        .def(&pair[0].built_in[&(api_version.clone(), kind.clone())])
                        .is_some_and(|d| d["properties"].get("metadata").is_none())
                {
                    continue;
                }
                assert!(
                    matches!(apis::status(api_version, kind, minor), Some(Status::Removed(_))),
                    "{api_version} {kind} is gone from {} but not in the removed table",
                    pair[1].version
                );
            }
        }
    }
}
