//! Profiles: which checks run and the numbers they are held to. YAML, validated
//! against `schemas/profile.schema.json`, with errors that name the field.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The profile schema, as committed.
const SCHEMA: &str = include_str!("../../schemas/profile.schema.json");
/// Built-in profiles by name.
const BUILT_IN: &[(&str, &str)] = &[
    ("reference", include_str!("../profiles/reference.yaml")),
    ("openai-compatible", include_str!("../profiles/openai-compatible.yaml")),
    ("gpu", include_str!("../profiles/gpu.yaml")),
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
    /// The deployment manifests (a file, a folder, or a kustomize folder) the
    /// `manifest` checks hold against the service; `None` leaves them not
    /// applicable. Resolved like `snapshots`.
    pub manifests: Option<PathBuf>,
    /// The numbers.
    pub thresholds: Thresholds,
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
        "--profile {0}: no built-in profile of that name (reference, openai-compatible, gpu) and no such file"
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
    snapshots: Option<PathBuf>,
    manifests: Option<PathBuf>,
    #[serde(default)]
    thresholds: ThresholdsDoc,
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
    };
}

impl Default for Thresholds {
    /// The reference profile's numbers: `harness/profiles/reference.yaml` is the
    /// one place the defaults are written, and it sets every threshold.
    fn default() -> Self {
        static DEFAULTS: std::sync::OnceLock<Thresholds> = std::sync::OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == "reference").expect("built in");
                #[derive(Deserialize)]
                struct Numbers {
                    thresholds: ThresholdsDoc,
                }
                let numbers: Numbers = serde_yaml::from_str(text).expect("reference.yaml parses");
                // Every threshold is set there (a test holds it to the schema), so
                // nothing of this zero base shows through.
                numbers.thresholds.over(&Thresholds::ZERO)
            })
            .clone()
    }
}

impl Profile {
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
        if let Some(profile) = Self::built_in(spec) {
            return Ok(profile);
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path).map_err(|_| Error::Unknown(spec.to_owned()))?;
        let profile = Self::parse(&text, &path.display().to_string())?;
        Ok(profile.resolved_against(path.parent().unwrap_or(Path::new("."))))
    }

    /// Parses and validates YAML text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, Error> {
        let yaml = |message: String| Error::Yaml { source_name: source_name.to_owned(), message };
        let value: serde_json::Value =
            serde_yaml::from_str(text).map_err(|e| yaml(e.to_string()))?;
        let schema: serde_json::Value =
            serde_json::from_str(SCHEMA).expect("the profile schema is JSON");
        let validator =
            jsonschema::validator_for(&schema).expect("the profile schema is a valid schema");
        let mut problems: Vec<String> = validator
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
        let doc: Document = serde_json::from_value(value).map_err(|e| yaml(e.to_string()))?;
        Ok(Self {
            name: doc.name,
            include: doc.include,
            exclude: doc.exclude,
            readiness_path: doc.readiness_path.unwrap_or_else(|| "/health/ready".into()),
            snapshots: doc.snapshots,
            manifests: doc.manifests,
            thresholds: doc.thresholds.over(&Thresholds::default()),
        })
    }

    /// This profile with relative snapshot and manifest paths made relative to `base`.
    pub fn resolved_against(mut self, base: &Path) -> Self {
        for path in [&mut self.snapshots, &mut self.manifests] {
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
