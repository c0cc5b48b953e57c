//! Family `fuzz`, driven by the target's own OpenAPI document, as Schemathesis's
//! `negative_data_rejection` (ST201) and `positive_data_acceptance` (ST202).
//! For each route of the profile that the served document describes with a
//! JSON request body, gauntlet builds bodies from the schema itself: the
//! smallest valid one and one with every property, and near misses (a required
//! property removed, a property of the wrong type, an unknown property where
//! the document forbids them, a body of the wrong type). Every body is held to
//! the document with a JSON Schema validator before it is sent, so a case is
//! valid or invalid by the document, not by gauntlet's guess. OpenAPI 3.0's
//! `nullable` is read as a type that admits null.

use serde_json::{Map, Value, json};

use crate::check;
use crate::check::{Check, Outcome};
use crate::http::{clip, exchange};
use crate::profile::{Profile, Route};
use crate::target::Http;

pub(super) const CHECKS: &[Check] = &[
    check! {
        id: "fuzz.openapi.refuses-invalid",
        family: Fuzz,
        level: Must,
        description: "request bodies that break the served OpenAPI document get a 4xx at every profile route it describes (Schemathesis ST201)",
        run: |profile, http: Http| judge(http, profile, Side::Invalid),
    },
    check! {
        id: "fuzz.openapi.accepts-valid",
        family: Fuzz,
        level: Must,
        description: "request bodies the served OpenAPI document allows are not refused at any profile route it describes (Schemathesis ST202)",
        run: |profile, http: Http| judge(http, profile, Side::Valid),
    },
];

/// Which promise of the document is held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A body that breaks the document is refused with a 4xx.
    Invalid,
    /// A body the document allows is answered with a 2xx.
    Valid,
}

/// One POST with a JSON request body at a route of the profile.
struct Operation {
    /// The concrete path, as the profile names it.
    path: String,
    schema: Value,
}

/// One generated request: what it is, and its body.
struct Case {
    what: String,
    body: Value,
}

/// Most invalid bodies sent per operation.
const MAX_INVALID: usize = 16;

fn judge(http: Http<'_>, profile: &Profile, side: Side) -> Outcome {
    let doc_path = match profile.route(Route::Openapi) {
        Ok(path) => path,
        Err(na) => return na.into(),
    };
    let mut doc = match crate::http::get_json(&format!("{}{doc_path}", http.base_url())) {
        Ok((200, doc)) if doc["paths"].is_object() => doc,
        Ok((200, doc)) => {
            return Outcome::Fail(format!(
                "GET {doc_path} is not an OpenAPI document (no `paths`): {}",
                clip(&doc.to_string())
            ));
        }
        Ok((status, body)) => {
            return Outcome::Fail(format!(
                "GET {doc_path} answered {status}: {}",
                clip(&body.to_string())
            ));
        }
        Err(e) => return Outcome::Fail(format!("GET {doc_path}: {e}")),
    };
    admit_nullable(&mut doc);
    let operations = operations(&doc, profile);
    if operations.is_empty() {
        return Outcome::NotApplicable(format!(
            "not applicable: the document at {doc_path} describes no JSON request body at any route of profile `{}`",
            profile.name
        ));
    }
    let bound = profile.thresholds.request_timeout;
    let mut sent = 0;
    let mut problems = Vec::new();
    let mut unbuilt = Vec::new();
    for op in &operations {
        let Some(validator) = validator(&op.schema) else {
            unbuilt.push(format!("POST {}: its schema does not compile", op.path));
            continue;
        };
        let Some(cases) = cases(op, &validator, profile, side) else {
            unbuilt.push(format!("POST {}: no valid body could be built", op.path));
            continue;
        };
        for case in cases {
            sent += 1;
            let bytes = case.body.to_string().into_bytes();
            let said = format!("{} ({})", case.what, clip(&case.body.to_string()));
            match exchange(http.base_url(), &op.path, Some(&bytes), bound) {
                Ok(answer) => {
                    let wrong = match side {
                        Side::Invalid => !(400..500).contains(&answer.status),
                        Side::Valid => !(200..300).contains(&answer.status),
                    };
                    if wrong {
                        problems.push(format!(
                            "POST {} with {said} answered {}: {}",
                            op.path,
                            answer.status,
                            clip(&answer.text)
                        ));
                    }
                }
                Err(e) => problems.push(format!("{e}, sent {said}")),
            }
        }
    }
    if sent == 0 {
        return Outcome::NotApplicable(format!("not applicable: {}", unbuilt.join("; ")));
    }
    let routes: Vec<String> = operations.iter().map(|o| format!("POST {}", o.path)).collect();
    let skipped = if unbuilt.is_empty() {
        String::new()
    } else {
        format!("; left out: {}", unbuilt.join("; "))
    };
    if problems.is_empty() {
        Outcome::Pass(format!(
            "{sent} bodies {} by the document at {doc_path} were {} at {}{skipped}",
            if side == Side::Invalid { "broken" } else { "allowed" },
            if side == Side::Invalid { "refused with a 4xx" } else { "answered with a 2xx" },
            routes.join(", ")
        ))
    } else {
        let n = problems.len();
        problems.truncate(4);
        Outcome::Fail(format!(
            "{n} of {sent} bodies {}: {}",
            if side == Side::Invalid {
                "that break the document were not refused with a 4xx"
            } else {
                "that the document allows were refused"
            },
            problems.join("; ")
        ))
    }
}

/// The operations with a JSON body at the profile's routes, found by path template.
fn operations(doc: &Value, profile: &Profile) -> Vec<Operation> {
    let mut out: Vec<Operation> = Vec::new();
    let Some(paths) = doc["paths"].as_object() else { return out };
    for route in Route::ALL {
        let Ok(path) = profile.route(route) else { continue };
        // The route itself, else the route below a prefix the document does not know
        // (a server mounted under `/tei`, a profile's `route_prefix`).
        let mut suffixes = path.match_indices('/').map(|(at, _)| &path[at..]);
        let Some((_, item)) =
            suffixes.find_map(|suffix| paths.iter().find(|(t, _)| matches(t, suffix)))
        else {
            continue;
        };
        let schema = &item["post"]["requestBody"]["content"]["application/json"]["schema"];
        if schema.is_null() || out.iter().any(|o| o.path == path) {
            continue;
        }
        let mut root = json!({ "allOf": [schema] });
        if let Some(components) = doc.get("components") {
            root["components"] = components.clone();
        }
        out.push(Operation { path, schema: root });
    }
    out
}

/// Whether the document's path template (`/v2/models/{model}/infer`) names `path`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema says it: the type admits null.
fn admit_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                    }
                    Some(_) => {}
                    None => {
                        let inner = Value::Object(std::mem::take(map));
                        *map = Map::from_iter([(
                            "anyOf".to_owned(),
                            json!([inner, {"type": "null"}]),
                        )]);
                        return;
                    }
                }
            }
            map.values_mut().for_each(admit_nullable);
        }
        Value::Array(items) => items.iter_mut().for_each(admit_nullable),
        _ => {}
    }
}

/// The schema's validator, formats included: Schemathesis holds `format: uri`
/// and the like too, and a `oneOf` may tell its branches apart only by them.
fn validator(schema: &Value) -> Option<jsonschema::Validator> {
    jsonschema::options().should_validate_formats(true).build(schema).ok()
}

/// The schema `schema` refers to, `$ref`s followed within the root.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match schema["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => schema = root.pointer(pointer).unwrap_or(&Value::Null),
            None => break,
        }
    }
    schema
}

/// A value `schema` allows, small and plain; `full` fills optional properties too.
fn build(root: &Value, schema: &Value, full: bool, depth: usize) -> Option<Value> {
    let schema = resolve(root, schema);
    if depth > 12 {
        return None;
    }
    if let Some(value) = schema.get("const") {
        return Some(value.clone());
    }
    if let Some(values) = schema["enum"].as_array() {
        return values.iter().find(|v| !v.is_null()).or(values.first()).cloned();
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            match build(root, part, full, depth + 1)? {
                Value::Object(map) => merged.extend(map),
                other if parts.len() == 1 => return Some(other),
                _ => return None,
            }
        }
        return Some(Value::Object(merged));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[key].as_array() {
            return branches
                .iter()
                .filter(|b| resolve(root, b)["type"] != "null")
                .find_map(|b| build(root, b, full, depth + 1));
        }
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => {
            types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null")
        }
        _ if schema["properties"].is_object() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    };
    let number = |integer: bool| {
        let low = schema["minimum"]
            .as_f64()
            .or_else(|| schema["exclusiveMinimum"].as_f64().map(|m| m + 1.0));
        let high = schema["maximum"]
            .as_f64()
            .or_else(|| schema["exclusiveMaximum"].as_f64().map(|m| m - 1.0));
        let n = low.unwrap_or_else(|| high.map_or(1.0, |h| h.min(1.0)));
        if integer { json!(n as i64) } else { json!(n) }
    };
    Some(match kind {
        "null" => Value::Null,
        "boolean" => json!(true),
        "integer" => number(true),
        "number" => number(false),
        "string" => {
            let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
            let max = schema["maxLength"].as_u64().map_or(usize::MAX, |m| m as usize);
            let mut text = String::from("gauntlet");
            while text.len() < min {
                text.push_str(" gauntlet");
            }
            text.truncate(max.max(min));
            json!(text)
        }
        "array" => {
            let n = schema["minItems"].as_u64().unwrap_or(1).max(1) as usize;
            let n = n.min(schema["maxItems"].as_u64().map_or(n, |m| m as usize));
            let item = build(root, schema.get("items").unwrap_or(&json!({})), full, depth + 1)?;
            Value::Array(vec![item; n])
        }
        "object" => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut map = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (name, property) in properties {
                    if full || required.contains(&name.as_str()) {
                        map.insert(name.clone(), build(root, property, full, depth + 1)?);
                    }
                }
            }
            Value::Object(map)
        }
        _ => return None,
    })
}

/// The top-level properties of an object schema and which are required; of a
/// `oneOf` or `anyOf`, those of the branches `fits` (the one the body is in).
fn properties(
    root: &Value,
    schema: &Value,
    fits: &dyn Fn(&Value) -> bool,
) -> (Map<String, Value>, Vec<String>, bool) {
    let schema = resolve(root, schema);
    let mut props = schema["properties"].as_object().cloned().unwrap_or_default();
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut closed = schema["additionalProperties"] == false;
    let branches = ["oneOf", "anyOf"]
        .iter()
        .flat_map(|k| schema[*k].as_array().into_iter().flatten())
        .filter(|b| fits(b));
    for part in schema["allOf"].as_array().into_iter().flatten().chain(branches) {
        let (p, r, c) = properties(root, part, fits);
        props.extend(p);
        required.extend(r);
        closed |= c;
    }
    (props, required, closed)
}

/// The bodies to send for `side`; `None` when no valid body could be built.
fn cases(
    op: &Operation,
    validator: &jsonschema::Validator,
    profile: &Profile,
    side: Side,
) -> Option<Vec<Case>> {
    let named = |mut body: Value| {
        // A valid request names the served model, where the body has a model.
        if let (Some(model), Some(map)) = (&profile.model, body.as_object_mut())
            && map.contains_key("model")
        {
            map.insert("model".into(), json!(model));
        }
        body
    };
    // The smallest body, or, where it fits more than one branch of a `oneOf`
    // (infinity's text, image and audio requests differ only in `modality`),
    // the body with every property, which names its branch.
    let smallest = [false, true]
        .into_iter()
        .filter_map(|full| build(&op.schema, &op.schema, full, 0).map(named))
        .find(|body| validator.is_valid(body))?;
    if side == Side::Valid {
        let mut out = vec![Case { what: "the smallest valid body".into(), body: smallest.clone() }];
        if let Some(full) = build(&op.schema, &op.schema, true, 0).map(named)
            && full != smallest
            && validator.is_valid(&full)
        {
            out.push(Case { what: "every property set".into(), body: full });
        }
        return Some(out);
    }
    let mut out = Vec::new();
    let mut push = |what: String, body: Value| {
        if out.len() < MAX_INVALID && !validator.is_valid(&body) {
            out.push(Case { what, body });
        }
    };
    for (wrong, what) in
        [(json!([]), "an array"), (json!("gauntlet"), "a string"), (json!(7), "a number")]
    {
        push(format!("{what} for the whole body"), wrong);
    }
    let fits = |branch: &Value| {
        let mut alone = json!({ "allOf": [branch] });
        if let Some(components) = op.schema.get("components") {
            alone["components"] = components.clone();
        }
        self::validator(&alone).is_some_and(|v| v.is_valid(&smallest))
    };
    let (props, required, closed) = properties(&op.schema, &op.schema, &fits);
    for name in &required {
        if let Some(map) = smallest.as_object() {
            let mut body = map.clone();
            body.remove(name);
            push(format!("required `{name}` left out"), Value::Object(body));
        }
    }
    let wrongs = [
        (json!({"gauntlet": 1}), "an object"),
        (json!(7.5), "a number"),
        (json!("gauntlet"), "a string"),
        (json!([{"gauntlet": 1}]), "a list of objects"),
        (json!(false), "a boolean"),
    ];
    for (i, name) in props.keys().enumerate() {
        let Some(map) = smallest.as_object() else { break };
        // Each property gets the first wrong value, in an order that turns with it.
        for k in 0..wrongs.len() {
            let (value, what) = &wrongs[(i + k) % wrongs.len()];
            let mut body = map.clone();
            body.insert(name.clone(), value.clone());
            let body = Value::Object(body);
            if !validator.is_valid(&body) {
                push(format!("{what} for `{name}`"), body);
                break;
            }
        }
    }
    if closed && let Some(map) = smallest.as_object() {
        let mut body = map.clone();
        body.insert("gauntlet_unknown".into(), json!(1));
        push("a property the document does not allow".into(), Value::Object(body));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates_match_concrete_paths() {
        assert!(matches("/v2/models/{model}/infer", "/v2/models/m/infer"));
        assert!(matches("/v1/embeddings", "/v1/embeddings"));
        assert!(!matches("/v2/models/{model}", "/v2/models/m/infer"));
    }

    #[test]
    fn a_route_below_a_prefix_the_document_does_not_know_is_found() {
        let doc = json!({"paths": {"/embed": {"post": {"requestBody": {"content": {
            "application/json": {"schema": {"type": "object"}}}}}}}});
        let profile = Profile::load_with("tei", &["route_prefix=/tei".into()]).unwrap();
        let ops = operations(&doc, &profile);
        assert_eq!(ops.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(), ["/tei/embed"]);
    }

    #[test]
    fn nullable_becomes_a_type_that_admits_null() {
        let mut doc = json!({"a": {"type": "integer", "nullable": true}, "b": {"$ref": "#/x", "nullable": true}});
        admit_nullable(&mut doc);
        assert_eq!(doc["a"]["type"], json!(["integer", "null"]));
        assert_eq!(doc["b"]["anyOf"][1], json!({"type": "null"}));
    }

    #[test]
    fn built_bodies_are_valid_and_mutations_are_not() {
        let schema = json!({
            "allOf": [{"$ref": "#/components/schemas/R"}],
            "components": {"schemas": {"R": {
                "type": "object", "required": ["input"], "additionalProperties": false,
                "properties": {
                    "input": {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
                    "dimensions": {"type": ["integer", "null"], "minimum": 1, "maximum": 384},
                    "encoding_format": {"enum": ["float", "base64"]}
                }
            }}}
        });
        let op = Operation { path: "/v1/embeddings".into(), schema };
        let validator = validator(&op.schema).unwrap();
        let profile = Profile::built_in("openai-compatible").unwrap();
        let valid = cases(&op, &validator, &profile, Side::Valid).unwrap();
        assert_eq!(valid[0].body, json!({"input": "gauntlet"}));
        assert_eq!(valid[1].body["dimensions"], json!(1));
        let invalid = cases(&op, &validator, &profile, Side::Invalid).unwrap();
        let whats: Vec<&str> = invalid.iter().map(|c| c.what.as_str()).collect();
        assert!(whats.contains(&"required `input` left out"), "{whats:?}");
        assert!(whats.contains(&"a property the document does not allow"), "{whats:?}");
        assert!(whats.iter().any(|w| w.ends_with("for `dimensions`")), "{whats:?}");
        assert!(invalid.iter().all(|c| !validator.is_valid(&c.body)));
    }

    #[test]
    fn a_one_of_whose_branches_differ_only_by_an_optional_const_is_built_with_it() {
        // infinity-emb 0.0.78's /v1/embeddings body, cut down.
        let branch = |modality: &str, input: Value| {
            json!({"type": "object", "required": ["input"], "properties": {
                "input": input,
                "modality": {"type": "string", "const": modality, "default": modality}
            }})
        };
        let schema = json!({"oneOf": [
            branch("text", json!({"type": "string", "maxLength": 100})),
            // Only `modality` tells these apart: "gauntlet" is a fine string for both.
            branch("audio", json!({"type": "string", "minLength": 1}))
        ]});
        let op = Operation { path: "/v1/embeddings".into(), schema };
        let validator = validator(&op.schema).unwrap();
        let profile = Profile::built_in("openai-compatible").unwrap();
        let valid = cases(&op, &validator, &profile, Side::Valid).unwrap();
        assert_eq!(valid[0].body, json!({"input": "gauntlet", "modality": "text"}));
        // The near misses come from the branch the valid body is in.
        let invalid = cases(&op, &validator, &profile, Side::Invalid).unwrap();
        let whats: Vec<&str> = invalid.iter().map(|c| c.what.as_str()).collect();
        assert!(whats.contains(&"required `input` left out"), "{whats:?}");
        assert!(whats.iter().any(|w| w.ends_with("for `modality`")), "{whats:?}");
    }
}
