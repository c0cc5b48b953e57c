//! Profiles: which checks run and the numbers they are held to. YAML, validated
//! against `schemas/profile.schema.json`, with errors that name the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::figures::Tolerance;

/// The profile schema, as committed.
const SCHEMA: &str = include_str!("../schemas/profile.schema.json");
/// Built-in profiles by name.
const BUILT_IN: &[(&str, &str)] = &[
    ("reference", include_str!("../profiles/reference.yaml")),
    ("openai-compatible", include_str!("../profiles/openai-compatible.yaml")),
    ("gpu", include_str!("../profiles/gpu.yaml")),
    ("open-inference-v2", include_str!("../profiles/open-inference-v2.yaml")),
    ("tei", include_str!("../profiles/tei.yaml")),
    ("vllm", include_str!("../profiles/vllm.yaml")),
];

/// A loaded profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// Check ids or `prefix.` patterns to run; empty means all.
    pub include: Vec<String>,
    /// Check ids or `prefix.` patterns to leave out.
    pub exclude: Vec<String>,
    /// The readiness path.
    pub readiness_path: String,
    /// The folder of reviewed insta snapshots; `None` leaves the snapshot checks
    /// not applicable. Relative paths in a file are resolved against the file's
    /// folder, in a built-in profile against the current directory.
    pub snapshots: Option<PathBuf>,
    /// sentence-transformers' vectors for the served model (the format of
    /// `fixtures/embeddings/expected.json`); `None` uses the built-in ones for
    /// all-MiniLM-L6-v2. Resolved like `snapshots`.
    pub reference_vectors: Option<PathBuf>,
    /// The deployment manifests (a file, a folder, or a kustomize folder) the
    /// `manifest` checks hold against the service; `None` leaves them not
    /// applicable. Resolved like `snapshots`.
    pub manifests: Option<PathBuf>,
    /// The name the server serves its model under (`model` in the file, or
    /// `--set model=NAME`): `{model}` in a route, and the id `/v1/models` must list.
    pub model: Option<String>,
    /// Where each route is served, prefix and model already in place; a route
    /// the profile does not name is not served, and its checks are not applicable.
    pub routes: BTreeMap<Route, String>,
    /// How the Open Inference Protocol infer route carries sentences and vectors.
    pub v2: V2,
    /// The series the metrics route must export.
    pub metrics: Vec<String>,
    /// The numbers.
    pub thresholds: Thresholds,
    /// How far each measured figure may worsen against a baseline run
    /// (`baselines:`; `gauntlet compare`, `gauntlet run --baseline`).
    pub baselines: Baselines,
}

/// How sentences go into and vectors come out of an Open Inference Protocol
/// infer route (`v2` in a profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V2 {
    /// The BYTES input tensor; `None` means the model metadata's first BYTES input.
    pub input: Option<String>,
    /// The output tensor; `None` means the model metadata's first output.
    pub output: Option<String>,
    /// What the output holds.
    #[serde(default)]
    pub output_format: V2Format,
}

/// What an infer route's output tensor holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum V2Format {
    /// A numeric tensor `[n, dimension]` of sentence vectors.
    #[default]
    Vectors,
    /// A BYTES tensor, one element per sentence, each JSON text of that
    /// sentence's token embeddings (MLServer's HuggingFace runtime); the
    /// harness mean-pools and L2-normalizes them.
    TokenEmbeddingsJson,
}

/// Why a route cannot be reached under a profile: it names no such route, or
/// the route needs the model's name and the profile gives none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unserved(pub String);

/// A route a check may ask the profile for. The profile's `routes` table says
/// where the target serves each; the checks never name a path themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// OpenAI `POST /v1/embeddings`.
    Embeddings,
    /// OpenAI `GET /v1/models`.
    Models,
    /// TEI `POST /embed`.
    Embed,
    /// TEI `POST /embed_all` (token embeddings).
    EmbedAll,
    /// TEI `POST /tokenize`.
    Tokenize,
    /// `GET /info`: model, dimension, limits.
    Info,
    /// Prometheus `GET /metrics`.
    Metrics,
    /// The served OpenAPI document.
    Openapi,
    /// The startup probe.
    Startup,
    /// The liveness probe.
    Liveness,
    /// Open Inference Protocol `GET /v2/health/live`.
    V2Live,
    /// Open Inference Protocol `GET /v2/health/ready`.
    V2Ready,
    /// Open Inference Protocol server metadata, `GET /v2`.
    V2Server,
    /// Open Inference Protocol model metadata, `GET /v2/models/{model}`.
    V2Model,
    /// Open Inference Protocol `GET /v2/models/{model}/ready`.
    V2ModelReady,
    /// Open Inference Protocol `POST /v2/models/{model}/infer`.
    V2Infer,
    /// A server's version, `GET /version` (vLLM).
    Version,
}

impl Route {
    /// Every route, in the order of the schema.
    pub const ALL: [Route; 17] = [
        Route::Embeddings,
        Route::Models,
        Route::Embed,
        Route::EmbedAll,
        Route::Tokenize,
        Route::Info,
        Route::Metrics,
        Route::Openapi,
        Route::Startup,
        Route::Liveness,
        Route::V2Live,
        Route::V2Ready,
        Route::V2Server,
        Route::V2Model,
        Route::V2ModelReady,
        Route::V2Infer,
        Route::Version,
    ];

    /// Its key in a profile's `routes`.
    pub fn key(self) -> &'static str {
        match self {
            Route::Embeddings => "embeddings",
            Route::Models => "models",
            Route::Embed => "embed",
            Route::EmbedAll => "embed_all",
            Route::Tokenize => "tokenize",
            Route::Info => "info",
            Route::Metrics => "metrics",
            Route::Openapi => "openapi",
            Route::Startup => "startup",
            Route::Liveness => "liveness",
            Route::V2Live => "v2_live",
            Route::V2Ready => "v2_ready",
            Route::V2Server => "v2_server",
            Route::V2Model => "v2_model",
            Route::V2ModelReady => "v2_model_ready",
            Route::V2Infer => "v2_infer",
            Route::Version => "version",
        }
    }
}

/// The numbers checks are held to, from the profile; the defaults fit the
/// reference service.
#[derive(Debug, Clone)]
pub struct Thresholds {
    /// Longest start-up, from process start to readiness 200.
    pub ready_budget: Duration,
    /// Readiness must turn 503 this soon after SIGTERM.
    pub drain_flip: Duration,
    /// Longest wait for the process to exit after SIGTERM.
    pub shutdown_grace: Duration,
    /// Concurrent clients in the load burst.
    pub load_concurrency: usize,
    /// How long the load burst lasts.
    pub load_duration: Duration,
    /// Highest p99 latency accepted during the burst.
    pub load_p99: Duration,
    /// Highest share of failed requests (429s are counted apart).
    pub load_max_error_rate: f64,
    /// Lowest requests per second accepted during the burst.
    pub load_min_throughput: f64,
    /// Generated bodies per fuzzed route.
    pub fuzz_cases: u32,
    /// Largest image accepted, in bytes.
    pub image_size: u64,
    /// The container memory limit an orchestrator would set, in bytes.
    pub memory_limit: u64,
    /// Most memory the service may use under load, in bytes.
    pub memory_budget: u64,
    /// How many times the measured time to ready a startup probe must allow.
    pub startup_margin: f64,
    /// Longest any single request may take to be answered, refusals included.
    pub request_timeout: Duration,
    /// The largest batch the server promises to embed in one request.
    pub max_batch: usize,
}

impl Default for Profile {
    fn default() -> Self {
        Self::built_in("reference").expect("the reference profile is valid")
    }
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither a built-in name nor a readable file.
    #[error(
        "--profile {0}: no built-in profile of that name (reference, openai-compatible, open-inference-v2, tei, vllm, gpu) and no such file"
    )]
    Unknown(String),
    /// The YAML does not parse.
    #[error("{source_name}: not YAML: {message}")]
    Yaml {
        /// Where it came from.
        source_name: String,
        /// What the parser said.
        message: String,
    },
    /// The document breaks the schema; each line names a field.
    #[error("{source_name}: invalid profile:\n{}", .problems.join("\n"))]
    Invalid {
        /// Where it came from.
        source_name: String,
        /// One line per problem, `/field/path: what is wrong`.
        problems: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    name: String,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for people; validated by the schema")]
    description: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    readiness_path: Option<String>,
    model: Option<String>,
    route_prefix: Option<String>,
    routes: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    v2: V2,
    metrics: Option<Vec<String>>,
    snapshots: Option<PathBuf>,
    reference_vectors: Option<PathBuf>,
    manifests: Option<PathBuf>,
    #[serde(default)]
    thresholds: ThresholdsDoc,
    #[serde(default)]
    baselines: Baselines,
}

/// The `baselines:` section of a profile, and the file `gauntlet compare
/// --tolerances` reads (`schemas/baselines.schema.json`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baselines {
    /// Per figure name (`load.latency.p99`), how much worse it may get: `"50%"`
    /// of the old value or a number in its unit. A figure with none is shown but
    /// not gated.
    #[serde(default)]
    pub tolerances: BTreeMap<String, Tolerance>,
}

impl Baselines {
    /// These tolerances over `base`'s: a figure named here replaces base's.
    pub fn over(&self, base: &Baselines) -> Baselines {
        let mut tolerances = base.tolerances.clone();
        tolerances.extend(self.tolerances.iter().map(|(k, v)| (k.clone(), *v)));
        Baselines { tolerances }
    }

    /// A tolerances file (YAML or JSON), held to `schemas/baselines.schema.json`;
    /// the error names each field that is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        const SCHEMA: &str = include_str!("../schemas/baselines.schema.json");
        static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
        let value: serde_json::Value =
            serde_yaml::from_str(text).map_err(|e| format!("not YAML or JSON: {e}"))?;
        let validator = VALIDATOR.get_or_init(|| {
            let schema = serde_json::from_str(SCHEMA).expect("the baselines schema is JSON");
            jsonschema::validator_for(&schema).expect("the baselines schema is a valid schema")
        });
        let mut problems: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {e}", if at.is_empty() { "/".to_owned() } else { at })
            })
            .collect();
        if !problems.is_empty() {
            problems.sort();
            return Err(problems.join("; "));
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// The reference profile's tolerances: the defaults every profile starts from.
    pub fn reference() -> Baselines {
        static DEFAULTS: std::sync::OnceLock<Baselines> = std::sync::OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                serde_json::from_value(reference_document()["baselines"].clone())
                    .expect("reference.yaml sets its baselines")
            })
            .clone()
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsDoc {
    ready_budget: Option<String>,
    drain_flip: Option<String>,
    shutdown_grace: Option<String>,
    load_concurrency: Option<usize>,
    load_duration: Option<String>,
    load_p99: Option<String>,
    load_max_error_rate: Option<f64>,
    load_min_throughput: Option<f64>,
    fuzz_cases: Option<u32>,
    image_size_mb: Option<f64>,
    memory_limit_mb: Option<f64>,
    memory_budget_mb: Option<f64>,
    startup_margin: Option<f64>,
    request_timeout: Option<String>,
    max_batch: Option<usize>,
}

impl ThresholdsDoc {
    /// The numbers this document sets, the others taken from `base`.
    fn over(&self, base: &Thresholds) -> Thresholds {
        let t = self;
        Thresholds {
            ready_budget: t.ready_budget.as_deref().map_or(base.ready_budget, duration),
            drain_flip: t.drain_flip.as_deref().map_or(base.drain_flip, duration),
            shutdown_grace: t.shutdown_grace.as_deref().map_or(base.shutdown_grace, duration),
            load_concurrency: t.load_concurrency.unwrap_or(base.load_concurrency),
            load_duration: t.load_duration.as_deref().map_or(base.load_duration, duration),
            load_p99: t.load_p99.as_deref().map_or(base.load_p99, duration),
            load_max_error_rate: t.load_max_error_rate.unwrap_or(base.load_max_error_rate),
            load_min_throughput: t.load_min_throughput.unwrap_or(base.load_min_throughput),
            fuzz_cases: t.fuzz_cases.unwrap_or(base.fuzz_cases),
            image_size: t.image_size_mb.map_or(base.image_size, megabytes),
            memory_limit: t.memory_limit_mb.map_or(base.memory_limit, megabytes),
            memory_budget: t.memory_budget_mb.map_or(base.memory_budget, megabytes),
            startup_margin: t.startup_margin.unwrap_or(base.startup_margin),
            request_timeout: t.request_timeout.as_deref().map_or(base.request_timeout, duration),
            max_batch: t.max_batch.unwrap_or(base.max_batch),
        }
    }
}

impl Thresholds {
    const ZERO: Self = Self {
        ready_budget: Duration::ZERO,
        drain_flip: Duration::ZERO,
        shutdown_grace: Duration::ZERO,
        load_concurrency: 0,
        load_duration: Duration::ZERO,
        load_p99: Duration::ZERO,
        load_max_error_rate: 0.0,
        load_min_throughput: 0.0,
        fuzz_cases: 0,
        image_size: 0,
        memory_limit: 0,
        memory_budget: 0,
        startup_margin: 0.0,
        request_timeout: Duration::ZERO,
        max_batch: 0,
    };
}

impl Default for Thresholds {
    /// The reference profile's numbers: `harness/profiles/reference.yaml` is the
    /// one place the defaults are written, and it sets every threshold.
    fn default() -> Self {
        static DEFAULTS: std::sync::OnceLock<Thresholds> = std::sync::OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let numbers: ThresholdsDoc =
                    serde_json::from_value(reference_document()["thresholds"].clone())
                        .expect("reference.yaml sets its thresholds");
                // Every threshold is set there (a test holds it to the schema), so
                // nothing of this zero base shows through.
                numbers.over(&Thresholds::ZERO)
            })
            .clone()
    }
}

impl Profile {
    /// The YAML of built-in profile `name`, as `gauntlet init` copies it.
    pub fn built_in_text(name: &str) -> Option<&'static str> {
        BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
    }

    /// A built-in profile by name.
    pub fn built_in(name: &str) -> Option<Self> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        let profile = Self::parse(text, &format!("built-in profile {name}"))
            .expect("built-in profiles are valid");
        // Nothing of the checkout this binary was built in is read: a built-in
        // profile's paths are the caller's, relative to the current directory.
        Some(profile)
    }

    /// A built-in name, or a YAML file.
    pub fn load(spec: &str) -> Result<Self, Error> {
        Self::load_with(spec, &[])
    }

    /// A built-in name or a YAML file, with `KEY=VALUE` settings (`--set`)
    /// applied before it is validated: `model=NAME`, `readiness_path=/x`,
    /// `routes.embeddings=/api/embed`, `thresholds.load_p99=5s`. A value is
    /// taken as text where the schema wants text, as YAML otherwise.
    pub fn load_with(spec: &str, sets: &[String]) -> Result<Self, Error> {
        let (text, source_name, folder) = match BUILT_IN.iter().find(|(n, _)| *n == spec) {
            Some((_, text)) => ((*text).to_owned(), format!("built-in profile {spec}"), None),
            None => {
                let path = Path::new(spec);
                let text =
                    std::fs::read_to_string(path).map_err(|_| Error::Unknown(spec.to_owned()))?;
                let folder = path.parent().unwrap_or(Path::new(".")).to_owned();
                (text, path.display().to_string(), Some(folder))
            }
        };
        let yaml = |message: String| Error::Yaml { source_name: source_name.clone(), message };
        let mut value: serde_json::Value =
            serde_yaml::from_str(&text).map_err(|e| yaml(e.to_string()))?;
        if sets.iter().any(|set| set.starts_with("routes.")) && value.get("routes").is_none() {
            // A route set on a profile that names none changes the default table.
            value["routes"] = serde_json::to_value(default_routes()).expect("strings");
        }
        let source_name = if sets.is_empty() {
            source_name
        } else {
            for set in sets {
                apply_set(&mut value, set).map_err(|problem| Error::Invalid {
                    source_name: source_name.clone(),
                    problems: vec![format!("  --set {set}: {problem}")],
                })?;
            }
            format!("{source_name} with --set {}", sets.join(" --set "))
        };
        let profile = Self::from_value(value, &source_name)?;
        Ok(match folder {
            Some(folder) => profile.resolved_against(&folder),
            None => profile,
        })
    }

    /// Parses and validates YAML text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_yaml::from_str(text).map_err(|e| Error::Yaml {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_value(value, source_name)
    }

    /// Validates a profile document against the schema, then reads it.
    fn from_value(value: serde_json::Value, source_name: &str) -> Result<Self, Error> {
        let mut problems: Vec<String> = schema()
            .iter_errors(&value)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("  {}: {e}", if at.is_empty() { "/".to_owned() } else { at })
            })
            .collect();
        if !problems.is_empty() {
            problems.sort();
            return Err(Error::Invalid { source_name: source_name.to_owned(), problems });
        }
        let doc: Document = serde_json::from_value(value).map_err(|e| Error::Yaml {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })?;
        let prefix = doc.route_prefix.unwrap_or_default();
        let table = match doc.routes {
            Some(table) => table,
            None => default_routes(),
        };
        let routes = Route::ALL
            .into_iter()
            .filter_map(|route| {
                let path = table.get(route.key())?.as_deref()?;
                Some((route, format!("{prefix}{path}")))
            })
            .collect();
        Ok(Self {
            name: doc.name,
            include: doc.include,
            exclude: doc.exclude,
            readiness_path: doc.readiness_path.unwrap_or_else(|| "/health/ready".into()),
            snapshots: doc.snapshots,
            reference_vectors: doc.reference_vectors,
            manifests: doc.manifests,
            model: doc.model,
            routes,
            v2: doc.v2,
            metrics: doc.metrics.unwrap_or_else(default_metrics),
            thresholds: doc.thresholds.over(&Thresholds::default()),
            baselines: doc.baselines.over(&Baselines::reference()),
        })
    }

    /// Where the target serves `route`, with the profile's model in place of
    /// `{model}`; `Err` says what is missing (a check makes it its
    /// not-applicable outcome).
    pub fn route(&self, route: Route) -> Result<String, Unserved> {
        let na = |why: String| Unserved(format!("not applicable: {why}"));
        let path = self.routes.get(&route).ok_or_else(|| {
            na(format!("profile `{}` names no `{}` route", self.name, route.key()))
        })?;
        if !path.contains("{model}") {
            return Ok(path.clone());
        }
        let model = self.model.as_deref().ok_or_else(|| {
            na(format!(
                "the `{}` route {path} needs the model's name: set `model` in the profile or pass --set model=NAME",
                route.key()
            ))
        })?;
        Ok(path.replace("{model}", model))
    }

    /// `base` joined with where the target serves `route`.
    pub fn url(&self, base: &str, route: Route) -> Result<String, Unserved> {
        Ok(format!("{base}{}", self.route(route)?))
    }

    /// This profile with relative snapshot and manifest paths made relative to `base`.
    pub fn resolved_against(mut self, base: &Path) -> Self {
        for path in [&mut self.snapshots, &mut self.reference_vectors, &mut self.manifests] {
            if let Some(path) = path.as_mut().filter(|d| d.is_relative()) {
                *path = base.join(&*path);
            }
        }
        self
    }

    /// Whether the check with this id runs under this profile.
    pub fn selects(&self, id: &str) -> bool {
        let matches = |pattern: &String| {
            if pattern.ends_with('.') { id.starts_with(pattern.as_str()) } else { id == pattern }
        };
        (self.include.is_empty() || self.include.iter().any(matches))
            && !self.exclude.iter().any(matches)
    }
}

/// The profile schema, compiled once.
fn schema() -> &'static jsonschema::Validator {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema_document()).expect("the profile schema is a valid schema")
    })
}

/// The profile schema as JSON, parsed once.
fn schema_document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(SCHEMA).expect("the profile schema is JSON"))
}

/// `reference.yaml`, parsed once: where every default (thresholds, routes,
/// metrics) is written.
fn reference_document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == "reference").expect("built in");
        serde_yaml::from_str(text).expect("reference.yaml parses")
    })
}

/// The reference profile's route table: the routes of a profile that names none.
fn default_routes() -> BTreeMap<String, Option<String>> {
    serde_json::from_value(reference_document()["routes"].clone())
        .expect("reference.yaml names its routes")
}

/// The reference profile's series: those of a profile that names none.
fn default_metrics() -> Vec<String> {
    serde_json::from_value(reference_document()["metrics"].clone())
        .expect("reference.yaml names its series")
}

/// Applies one `KEY=VALUE` (`--set`) to a profile document. The key is a dotted
/// path of object fields; the value is text where the schema wants a string
/// there, YAML otherwise (`thresholds.load_concurrency=4` is a number).
fn apply_set(doc: &mut serde_json::Value, set: &str) -> Result<(), String> {
    let (key, raw) = set.split_once('=').ok_or("expected KEY=VALUE")?;
    let path: Vec<&str> = key.split('.').collect();
    if key.is_empty() || path.iter().any(|p| p.is_empty()) {
        return Err(format!("`{key}` is not a dotted field path"));
    }
    let mut at = schema_document();
    for part in &path {
        at = at
            .get("properties")
            .and_then(|p| p.get(*part))
            .ok_or_else(|| format!("the profile has no field `{key}`"))?;
    }
    let wants_text = at.get("$ref").is_some()
        || at["type"] == "string"
        || at["type"].as_array().is_some_and(|t| t.iter().any(|t| t == "string"));
    let value = if wants_text {
        serde_json::Value::String(raw.to_owned())
    } else {
        serde_yaml::from_str(raw).map_err(|e| format!("not a YAML value: {e}"))?
    };
    let (last, parents) = path.split_last().expect("not empty");
    let mut node = doc;
    for part in parents {
        if !node.is_object() {
            return Err(format!("`{part}` is not an object in the profile"));
        }
        node = node
            .as_object_mut()
            .expect("an object")
            .entry(part.to_string())
            .or_insert_with(|| serde_json::json!({}));
    }
    node.as_object_mut()
        .ok_or_else(|| format!("the field above `{last}` is not an object"))?
        .insert((*last).to_owned(), value);
    Ok(())
}

/// Megabytes (10^6 bytes) as bytes.
fn megabytes(mb: f64) -> u64 {
    (mb * 1e6) as u64
}

/// Parses a duration the schema already accepted (`500ms`, `2s`, `1m`).
fn duration(text: &str) -> Duration {
    let (number, unit) =
        text.split_at(text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len()));
    let value: f64 = number.parse().unwrap_or(0.0);
    Duration::from_secs_f64(match unit {
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        _ => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_load() {
        let reference = Profile::built_in("reference").unwrap();
        assert!(reference.include.is_empty());
        assert_eq!(reference.thresholds.drain_flip, Duration::from_secs(1));
        let openai = Profile::built_in("openai-compatible").unwrap();
        assert_eq!(openai.readiness_path, "/health");
        assert!(openai.route(Route::Embed).is_err(), "openai-compatible serves no TEI route");
        let ids: Vec<&str> = crate::checks::catalog()
            .into_iter()
            .filter(|c| openai.selects(c.id))
            .map(|c| c.id)
            .collect();
        assert!(
            ids.contains(&"probe.ready.ok") && !ids.contains(&"probe.ready.sigterm"),
            "{ids:?}"
        );
    }

    #[test]
    fn the_baselines_schemas_agree_and_name_every_figure() {
        let profile: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let own: serde_json::Value =
            serde_json::from_str(include_str!("../schemas/baselines.schema.json")).unwrap();
        let names = &own["properties"]["tolerances"]["propertyNames"]["enum"];
        let ours: Vec<&str> = crate::figures::NAMES.iter().map(|(name, ..)| *name).collect();
        assert_eq!(names, &serde_json::json!(ours));
        assert_eq!(
            profile["properties"]["baselines"]["properties"], own["properties"],
            "the profile schema's baselines section is the baselines schema"
        );
        assert_eq!(profile["$defs"]["tolerance"], own["$defs"]["tolerance"]);
        assert_eq!(
            Baselines::reference().tolerances.keys().collect::<Vec<_>>().len(),
            crate::figures::NAMES.len(),
            "the reference profile gates every figure"
        );
        let err =
            Baselines::parse("tolerances: {load.latency.p50: fast, no.such: 1%}").unwrap_err();
        assert!(err.contains("/tolerances/load.latency.p50") && err.contains("no.such"), "{err}");
        let ok =
            Baselines::parse("tolerances: {load.latency.p50: 0%, load.error_rate: 0.5}").unwrap();
        assert_eq!(ok.tolerances["load.latency.p50"], Tolerance::Percent(0.0));
        assert_eq!(ok.tolerances["load.error_rate"], Tolerance::Absolute(0.5));
    }

    #[test]
    fn every_id_a_built_in_profile_names_exists() {
        let catalog = crate::checks::catalog();
        for (name, _) in BUILT_IN {
            let p = Profile::built_in(name).unwrap();
            for pattern in p.include.iter().chain(&p.exclude) {
                assert!(
                    catalog.iter().any(|c| if pattern.ends_with('.') {
                        c.id.starts_with(pattern.as_str())
                    } else {
                        c.id == pattern
                    }),
                    "profile {name} names {pattern}, which matches no check"
                );
            }
        }
    }

    #[test]
    fn the_reference_profile_sets_every_threshold_the_schema_knows() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let known = schema["properties"]["thresholds"]["properties"].as_object().unwrap();
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == "reference").unwrap();
        let doc: serde_json::Value = serde_yaml::from_str(text).unwrap();
        for key in known.keys() {
            assert!(
                doc["thresholds"].get(key).is_some(),
                "reference.yaml must set thresholds.{key}: it is where the defaults are written"
            );
        }
        let defaults = Thresholds::default();
        assert_eq!(defaults.memory_limit, 1_000_000_000);
        assert_eq!(defaults.ready_budget, Duration::from_secs(30));
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("name: x\nthresholds:\n  ready_budget: soon\n", "/thresholds/ready_budget"),
            ("name: x\nthresholds:\n  warp: 1s\n", "/thresholds"),
            ("name: x\nreadiness_path: health\n", "/readiness_path"),
            ("description: no name\n", "/"),
            ("name: x\ninclude: probe.\n", "/include"),
        ];
        for (text, field) in cases {
            match Profile::parse(text, "test.yaml") {
                Err(Error::Invalid { problems, .. }) => {
                    assert!(
                        problems.iter().any(|p| p.trim_start().starts_with(&format!("{field}:"))),
                        "{problems:?} should name {field}"
                    )
                }
                other => panic!("{text:?}: expected an invalid profile, got {other:?}"),
            }
        }
        assert!(matches!(Profile::parse("name: [unclosed", "t"), Err(Error::Yaml { .. })));
    }

    #[test]
    fn set_overrides_fields_and_is_held_to_the_schema() {
        let p = Profile::load_with(
            "openai-compatible",
            &[
                "model=BAAI/bge-small-en-v1.5".into(),
                "thresholds.load_concurrency=2".into(),
                "thresholds.load_p99=750ms".into(),
                "routes.models=/api/models".into(),
                "readiness_path=/ready".into(),
            ],
        )
        .unwrap();
        assert_eq!(p.model.as_deref(), Some("BAAI/bge-small-en-v1.5"));
        assert_eq!(p.thresholds.load_concurrency, 2);
        assert_eq!(p.thresholds.load_p99, Duration::from_millis(750));
        assert_eq!(p.route(Route::Models).unwrap(), "/api/models");
        assert_eq!(p.route(Route::Embeddings).unwrap(), "/v1/embeddings");
        assert_eq!(p.readiness_path, "/ready");
        let refused = [
            ("thresholds.load_concurrency=many", "/thresholds/load_concurrency"),
            ("readiness_path=ready", "/readiness_path"),
            ("warp=9", "no field `warp`"),
            ("model", "expected KEY=VALUE"),
            ("routes.nowhere=/x", "no field `routes.nowhere`"),
        ];
        for (set, says) in refused {
            match Profile::load_with("openai-compatible", &[set.to_owned()]) {
                Err(Error::Invalid { problems, source_name }) => {
                    assert!(problems.join("\n").contains(says), "--set {set}: {problems:?}");
                    assert!(
                        source_name.contains("openai-compatible"),
                        "{source_name} names the profile"
                    );
                }
                other => panic!("--set {set} should be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn routes_carry_the_prefix_and_the_model_or_say_what_is_missing() {
        let text = "name: v2\nroute_prefix: /api\nroutes:\n  v2_infer: /v2/models/{model}/infer\n  models: /v1/models\n";
        let p = Profile::parse(text, "t").unwrap();
        assert_eq!(p.route(Route::Models).unwrap(), "/api/v1/models");
        match p.route(Route::V2Infer) {
            Err(Unserved(why)) => {
                assert!(why.contains("--set model=NAME"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        match p.route(Route::Embeddings) {
            Err(Unserved(why)) => {
                assert!(why.contains("profile `v2` names no `embeddings` route"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let p = Profile { model: Some("m".into()), ..p };
        assert_eq!(p.route(Route::V2Infer).unwrap(), "/api/v2/models/m/infer");
        // No `routes` at all: the reference service's table.
        let p = Profile::parse("name: old\n", "t").unwrap();
        assert_eq!(p.route(Route::Embed).unwrap(), "/embed");
    }

    #[test]
    fn every_route_is_in_the_schema_and_the_schema_knows_no_other() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let mut known: Vec<&str> = schema["properties"]["routes"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut ours: Vec<&str> = Route::ALL.iter().map(|r| r.key()).collect();
        known.sort_unstable();
        ours.sort_unstable();
        assert_eq!(known, ours);
        for route in Route::ALL {
            assert_eq!(serde_json::to_value(route).unwrap(), route.key());
        }
    }

    #[test]
    fn durations_and_selection_follow_the_document() {
        let p = Profile::parse(
            "name: quick\nexclude: [probe.ready.sigterm]\nthresholds: {ready_budget: 1500ms}\n",
            "t",
        )
        .unwrap();
        assert_eq!(p.thresholds.ready_budget, Duration::from_millis(1500));
        let catalog = crate::checks::catalog();
        let sigterm = catalog.iter().find(|c| c.id == "probe.ready.sigterm").unwrap();
        let ready = catalog.iter().find(|c| c.id == "probe.ready.ok").unwrap();
        assert!(!p.selects(sigterm.id) && p.selects(ready.id));
    }
}
