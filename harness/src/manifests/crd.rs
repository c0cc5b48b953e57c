//! Custom resources: the CRDs of a run (from its own input and `--crds`) and
//! the CRD schema catalogs of `--schema-location` (folders laid out as
//! kubeconform reads them, `{group}/{kind}_{version}.json`, kind in lower
//! case); and the CRD `openAPIV3Schema` made a JSON Schema with the API
//! server's semantics:
//! - unknown fields are findings (strict mode) only where the schema does not
//!   say `x-kubernetes-preserve-unknown-fields`;
//! - `x-kubernetes-int-or-string` takes an integer or a string;
//! - `x-kubernetes-embedded-resource` is an object with `apiVersion`, `kind`
//!   and `metadata`;
//! - `nullable: true` takes null; a null in a field that is not nullable is
//!   pruned by the API server, so it is an error only where the field is required;
//! - draft-4 boolean `exclusiveMinimum`/`exclusiveMaximum` become numbers;
//! - `metadata` is the built-in ObjectMeta, with whatever the CRD adds.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::Document;
use super::schema::OBJECT_META;

/// The API of CustomResourceDefinitions whose schemas are read.
pub const CRD_API: &str = "apiextensions.k8s.io/v1";

/// One CRD's versions.
#[derive(Debug, Clone)]
struct Crd {
    /// `widgets.example.com`.
    name: String,
    /// Where it was read: `file[document]`.
    source: String,
    /// `(version, served, whether it has an openAPIV3Schema)`, in the CRD's order.
    versions: Vec<(String, bool, bool)>,
    /// The CRD itself, shared with its document: a version's schema is copied
    /// out only when a custom resource of it is first validated.
    object: std::sync::Arc<Value>,
}

/// The CRDs known to a run, and the catalogs to look in.
#[derive(Debug, Clone, Default)]
pub struct Crds {
    defined: HashMap<(String, String), Crd>,
    locations: Vec<PathBuf>,
}

/// What holds a custom resource's schema.
pub enum Lookup {
    /// A CRD's `openAPIV3Schema` for the version.
    OpenApi(Value),
    /// A catalog's JSON Schema, used as it is.
    JsonSchema(Value),
    /// A CRD for the kind exists but does not serve the version, or has no schema.
    Refused(String),
    /// A catalog file that is not a JSON Schema.
    Unreadable(String),
    /// Nothing.
    Nothing,
}

impl Crds {
    /// Takes every apiextensions.k8s.io/v1 CustomResourceDefinition in
    /// `documents`; returns how many there were. The first CRD of a group and
    /// kind wins.
    pub fn add(&mut self, documents: &[Document]) -> usize {
        let mut added = 0;
        for doc in documents
            .iter()
            .filter(|d| d.api_version() == CRD_API && d.kind() == "CustomResourceDefinition")
        {
            let spec = &doc.object["spec"];
            let (Some(group), Some(kind)) =
                (spec["group"].as_str(), spec["names"]["kind"].as_str())
            else {
                continue;
            };
            let versions = spec["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap_or_default().to_owned(),
                        v["served"].as_bool().unwrap_or(false),
                        v["schema"].get("openAPIV3Schema").is_some(),
                    )
                })
                .collect();
            let crd = Crd {
                name: doc.name().to_owned(),
                source: format!("{}[{}]", doc.file.display(), doc.index),
                versions,
                object: doc.object.clone(),
            };
            self.defined.entry((group.to_owned(), kind.to_owned())).or_insert(crd);
            added += 1;
        }
        added
    }

    /// Looks in `dir` too, laid out `{group}/{kind}_{version}.json`.
    pub fn add_location(&mut self, dir: PathBuf) {
        self.locations.push(dir);
    }

    /// The catalog folders.
    pub fn locations(&self) -> &[PathBuf] {
        &self.locations
    }

    /// How many CRDs are known.
    pub fn len(&self) -> usize {
        self.defined.len()
    }

    /// Whether no CRD is known.
    pub fn is_empty(&self) -> bool {
        self.defined.is_empty()
    }

    /// The schema of `group`/`version` `kind`.
    pub fn lookup(&self, group: &str, version: &str, kind: &str) -> Lookup {
        if let Some(crd) = self.defined.get(&(group.to_owned(), kind.to_owned())) {
            let at = crd.versions.iter().position(|(name, _, _)| name == version);
            return match at.map(|i| (i, &crd.versions[i])) {
                Some((i, (_, true, true))) => Lookup::OpenApi(
                    crd.object["spec"]["versions"][i]["schema"]["openAPIV3Schema"].clone(),
                ),
                Some((_, (_, true, false))) => Lookup::Refused(format!(
                    "the CRD {} ({}) gives version {version} no openAPIV3Schema, so {group}/{version} {kind} cannot be validated",
                    crd.name, crd.source
                )),
                _ => {
                    let served: Vec<&str> = crd
                        .versions
                        .iter()
                        .filter(|(_, served, _)| *served)
                        .map(|(name, _, _)| name.as_str())
                        .collect();
                    Lookup::Refused(format!(
                        "the CRD {} ({}) does not serve {group}/{version} {kind}; it serves {}",
                        crd.name,
                        crd.source,
                        if served.is_empty() { "no version".to_owned() } else { served.join(", ") }
                    ))
                }
            };
        }
        for dir in &self.locations {
            for name in [kind.to_lowercase(), kind.to_owned()] {
                let path = dir.join(group).join(format!("{name}_{version}.json"));
                let Ok(text) = std::fs::read_to_string(&path) else { continue };
                return match serde_json::from_str(&text) {
                    Ok(schema) => Lookup::JsonSchema(schema),
                    Err(e) => Lookup::Unreadable(format!("{}: not JSON: {e}", path.display())),
                };
            }
        }
        Lookup::Nothing
    }
}

/// What a custom resource with no CRD is told.
pub fn missing_message(group: &str, version: &str, kind: &str, locations: &[PathBuf]) -> String {
    let looked = if locations.is_empty() {
        String::new()
    } else {
        let dirs: Vec<String> = locations
            .iter()
            .map(|d| {
                d.join(group)
                    .join(format!("{}_{version}.json", kind.to_lowercase()))
                    .display()
                    .to_string()
            })
            .collect();
        format!(" (looked for {})", dirs.join(", "))
    };
    format!(
        "no CustomResourceDefinition for {group}/{version} {kind} (group {group}, version {version}, kind {kind}){looked}: \
         put its CRD in the input, pass it with --crds FILE_OR_DIR, or point --schema-location at a CRD schema catalog \
         holding {group}/{}_{version}.json; --ignore-missing-schemas reports such objects as skipped",
        kind.to_lowercase()
    )
}

/// The JSON Schema a custom resource is held to, from its CRD version's
/// `openAPIV3Schema`; `$ref`s to `#/$defs/` name built-in definitions.
pub fn custom_resource_schema(open_api: &Value) -> Value {
    let mut root = convert(open_api);
    let Value::Object(body) = &mut root else { return root };
    let properties = body.entry("properties").or_insert_with(|| json!({}));
    if let Value::Object(fields) = properties {
        for field in ["apiVersion", "kind"] {
            fields.entry(field).or_insert_with(|| json!({"type": "string"}));
        }
        let meta = json!({"$ref": format!("#/$defs/{OBJECT_META}")});
        let metadata = match fields.remove("metadata").map(open_metadata) {
            Some(theirs) => json!({"allOf": [meta, theirs]}),
            None => meta,
        };
        fields.insert("metadata".into(), metadata);
    }
    root
}

/// What a CRD says of `metadata` (name patterns, at most), without closing
/// it: ObjectMeta decides its fields.
fn open_metadata(mut schema: Value) -> Value {
    if let Value::Object(body) = &mut schema {
        body.remove("additionalProperties");
        body.remove("type");
    }
    schema
}

fn flag(schema: &Map<String, Value>, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// One node of an `openAPIV3Schema` as JSON Schema.
fn convert(node: &Value) -> Value {
    let Value::Object(schema) = node else { return node.clone() };
    let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
    let int_or_string = flag(schema, "x-kubernetes-int-or-string");
    let embedded = flag(schema, "x-kubernetes-embedded-resource");
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = Map::new();
    for (key, value) in schema {
        let converted = match (key.as_str(), value) {
            ("nullable" | "description" | "example" | "externalDocs" | "default", _) => continue,
            (k, _) if k.starts_with("x-kubernetes-") => continue,
            ("type", _) if int_or_string => continue,
            ("properties" | "patternProperties", Value::Object(fields)) => Value::Object(
                fields
                    .iter()
                    .map(|(name, field)| {
                        let mut converted = convert(field);
                        // The API server prunes a null it may not keep; only a
                        // required field then goes missing.
                        if key == "properties" && !required.contains(&name.as_str()) {
                            converted = allow_null(converted);
                        }
                        (name.clone(), converted)
                    })
                    .collect(),
            ),
            ("items" | "additionalProperties" | "additionalItems" | "not", Value::Object(_)) => {
                convert(value)
            }
            ("items" | "allOf" | "anyOf" | "oneOf", Value::Array(items)) => {
                Value::Array(items.iter().map(convert).collect())
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    for (flag_key, bound) in [("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")] {
        if let Some(Value::Bool(exclusive)) = out.get(flag_key).cloned() {
            out.remove(flag_key);
            if exclusive && let Some(limit) = out.remove(bound) {
                out.insert(flag_key.into(), limit);
            }
        }
    }
    if int_or_string && !out.contains_key("anyOf") && !out.contains_key("oneOf") {
        out.insert("type".into(), json!(["integer", "string"]));
    }
    if embedded {
        let fields = out.entry("properties").or_insert_with(|| json!({}));
        if let Value::Object(fields) = fields {
            fields.entry("apiVersion").or_insert_with(|| json!({"type": "string"}));
            fields.entry("kind").or_insert_with(|| json!({"type": "string"}));
            fields.entry("metadata").or_insert_with(|| json!({"type": "object"}));
        }
        let required = out.entry("required").or_insert_with(|| json!([]));
        if let Value::Array(names) = required {
            for field in ["apiVersion", "kind"] {
                if !names.iter().any(|n| n == field) {
                    names.push(json!(field));
                }
            }
        }
    }
    let object = out.get("type") == Some(&json!("object")) || out.contains_key("properties");
    if object && !preserve && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".into(), json!(false));
    }
    let converted = Value::Object(out);
    if flag(schema, "nullable") { allow_null(converted) } else { converted }
}

/// `schema`, taking null as well.
fn allow_null(schema: Value) -> Value {
    let Value::Object(mut body) = schema else { return schema };
    let constrained =
        ["anyOf", "oneOf", "allOf", "not", "const"].iter().any(|k| body.contains_key(*k));
    match body.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            body.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(json!("null"))
        }
        Some(Value::Array(_)) => {}
        // No type: only these keywords can refuse a null.
        _ if constrained => return json!({"anyOf": [{"type": "null"}, Value::Object(body)]}),
        _ => {}
    }
    if let Some(Value::Array(values)) = body.get_mut("enum")
        && !values.iter().any(Value::is_null)
    {
        values.push(Value::Null);
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let validator = jsonschema::validator_for(schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(instance).map(|e| e.to_string()).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    #[test]
    fn unknown_fields_are_refused_only_where_not_preserved() {
        let schema = convert(&json!({
            "type": "object",
            "properties": {
                "closed": {"type": "object", "properties": {"a": {"type": "string"}}},
                "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"a": {"type": "string"}}},
                "map": {"type": "object", "additionalProperties": {"type": "integer"}}
            }
        }));
        assert!(
            valid(&schema, &json!({"open": {"a": "x", "anything": 1}, "map": {"k": 1}})).is_ok()
        );
        assert!(valid(&schema, &json!({"closed": {"a": "x", "b": 1}})).is_err());
        assert!(valid(&schema, &json!({"extra": 1})).is_err());
        assert!(valid(&schema, &json!({"map": {"k": "one"}})).is_err());
    }

    #[test]
    fn int_or_string_embedded_and_nullable_follow_the_api_server() {
        let schema = convert(&json!({
            "type": "object",
            "required": ["port"],
            "properties": {
                "port": {"x-kubernetes-int-or-string": true},
                "maybe": {"type": "string", "nullable": true},
                "pruned": {"type": "string"},
                "strict": {"type": "object", "nullable": false, "properties": {"must": {"type": "string"}}, "required": ["must"]},
                "limit": {"type": "integer", "maximum": 10, "exclusiveMaximum": true},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                             "x-kubernetes-preserve-unknown-fields": true}
            }
        }));
        for ok in [
            json!({"port": 80}),
            json!({"port": "http"}),
            json!({"port": 1, "maybe": null}),
            json!({"port": 1, "pruned": null}),
            json!({"port": 1, "limit": 9}),
            json!({"port": 1, "template": {"apiVersion": "v1", "kind": "Pod", "spec": {}}}),
        ] {
            assert!(valid(&schema, &ok).is_ok(), "{ok}");
        }
        for bad in [
            json!({"port": 1.5}),
            json!({"port": null}),
            json!({}),
            json!({"port": 1, "limit": 10}),
            json!({"port": 1, "template": {"spec": {}}}),
            json!({"port": 1, "strict": {"must": null}}),
        ] {
            assert!(valid(&schema, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_custom_resource_has_object_meta_and_its_type_fields() {
        let schema = custom_resource_schema(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                           "metadata": {"type": "object", "properties": {"name": {"maxLength": 5}}}}
        }));
        assert_eq!(schema["properties"]["apiVersion"], json!({"type": "string"}));
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            format!("#/$defs/{OBJECT_META}")
        );
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][1],
            json!({"properties": {"name": {"maxLength": 5}}})
        );
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
