//! What an image says about itself: user, entrypoint, ports, healthcheck,
//! labels, environment, history and size, read from the engine's inspect answer
//! (the JSON `docker image inspect` prints) so the judging logic runs on recorded
//! fixtures as well as on live images.

use std::collections::BTreeMap;

use serde_json::Value;

/// Labels every image must carry (OCI image spec annotations): the image
/// checks and the Dockerfile rules both hold an image to them.
pub const REQUIRED_LABELS: &[&str] = &[
    "org.opencontainers.image.source",
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.created",
];

/// An image's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageFacts {
    /// The reference it was inspected by, e.g. `gauntlet-service:dev`.
    pub reference: String,
    /// `USER`, as written (`65532:65532`, `app`, or empty for root).
    pub user: String,
    /// `ENTRYPOINT` as the engine stores it (shell form becomes `/bin/sh -c ...`).
    pub entrypoint: Vec<String>,
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `EXPOSE`d ports, e.g. `8080/tcp`, sorted.
    pub exposed_ports: Vec<String>,
    /// The `HEALTHCHECK` test (`["CMD", ...]`, `["CMD-SHELL", ...]` or `["NONE"]`).
    pub healthcheck: Option<Vec<String>>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `ENV`, as `NAME=value`.
    pub env: Vec<String>,
    /// The `created_by` line of each history entry, newest first.
    pub history: Vec<String>,
    /// Size in bytes.
    pub size: u64,
}

impl ImageFacts {
    /// Reads one element of `docker image inspect` output (or bollard's
    /// `ImageInspect` serialized) plus the history lines.
    pub fn from_inspect(reference: &str, inspect: &Value, history: Vec<String>) -> Self {
        let config = &inspect["Config"];
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut exposed_ports: Vec<String> = config["ExposedPorts"]
            .as_object()
            .map(|ports| ports.keys().cloned().collect())
            .unwrap_or_default();
        exposed_ports.sort();
        Self {
            reference: reference.to_owned(),
            user: config["User"].as_str().unwrap_or_default().to_owned(),
            entrypoint: strings(&config["Entrypoint"]),
            cmd: strings(&config["Cmd"]),
            exposed_ports,
            healthcheck: config["Healthcheck"]["Test"]
                .as_array()
                .map(|_| strings(&config["Healthcheck"]["Test"])),
            labels: config["Labels"]
                .as_object()
                .map(|labels| {
                    labels
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            env: strings(&config["Env"]),
            history,
            size: inspect["Size"].as_u64().unwrap_or(0),
        }
    }

    /// The numeric user and group ids of `USER`, when both are numbers (a group
    /// left out counts as the user's own).
    pub fn numeric_user(&self) -> Option<(u32, u32)> {
        let (user, group) = self.user.split_once(':').unwrap_or((&self.user, &self.user));
        Some((user.parse().ok()?, group.parse().ok()?))
    }

    /// The value of environment variable `name`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &str = include_str!("../../fixtures/images/gauntlet-service.inspect.json");

    fn recorded() -> ImageFacts {
        let inspect: Value = serde_json::from_str(RECORDED).unwrap();
        ImageFacts::from_inspect("gauntlet-service:dev", &inspect[0], vec![])
    }

    #[test]
    fn a_recorded_inspect_reads_back() {
        let facts = recorded();
        assert_eq!(facts.numeric_user(), Some((65532, 65532)));
        assert_eq!(facts.entrypoint, ["/usr/local/bin/gauntlet-service"]);
        assert_eq!(facts.cmd, ["serve"]);
        assert_eq!(facts.exposed_ports, ["8080/tcp"]);
        assert_eq!(facts.healthcheck.as_ref().unwrap()[0], "CMD");
        assert_eq!(facts.env_var("GAUNTLET_PORT"), Some("8080"));
        assert!(facts.labels.contains_key("org.opencontainers.image.revision"));
        assert!(facts.size > 50_000_000);
    }

    #[test]
    fn users_are_numeric_only_when_both_parts_are_numbers() {
        let with = |user: &str| ImageFacts { user: user.into(), ..ImageFacts::default() };
        assert_eq!(with("1000").numeric_user(), Some((1000, 1000)));
        assert_eq!(with("1000:2000").numeric_user(), Some((1000, 2000)));
        assert_eq!(with("app").numeric_user(), None);
        assert_eq!(with("1000:app").numeric_user(), None);
        assert_eq!(with("").numeric_user(), None);
    }
}
