//! Why manifests, or the schemas to hold them to, could not be read.

use std::path::PathBuf;

/// Manifests or schemas that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path does not exist or cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A document is not YAML.
    #[error("{}: document {index}: not YAML: {source}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The document's index.
        index: usize,
        /// What the parser said.
        #[source]
        source: serde_yaml::Error,
    },
    /// A kustomize folder needs kubectl, which could not run.
    #[error(
        "{}: rendering it needs kubectl (with its built-in kustomize), which could not run: {source}",
        path.display()
    )]
    NoKubectl {
        /// The folder.
        path: PathBuf,
        /// Why kubectl could not run.
        #[source]
        source: std::io::Error,
    },
    /// A kustomize folder could not be rendered.
    #[error("{}: kustomize: {message}", path.display())]
    Kustomize {
        /// The folder.
        path: PathBuf,
        /// What kubectl said.
        message: String,
    },
    /// No schemas are vendored for the Kubernetes version asked for.
    #[error("--kubernetes-version {version}: no schemas for it (vendored: {vendored})")]
    NoSchemas {
        /// The version asked for.
        version: String,
        /// The versions there are, comma-separated.
        vendored: String,
    },
    /// A vendored schema is not JSON.
    #[error("{}: not JSON: {source}", path.display())]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A vendored schema is not a valid JSON Schema.
    #[error("{}: {message}", path.display())]
    SchemaInvalid {
        /// The schema file.
        path: PathBuf,
        /// What the schema compiler said.
        message: String,
    },
    /// k8s-openapi cannot read an object its schema accepted.
    #[error("k8s-openapi cannot read this {kind}: {source}")]
    Typed {
        /// The object's kind.
        kind: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// The manifests hold no workload that serves.
    #[error("the manifests hold no Deployment, StatefulSet, DaemonSet or Pod")]
    NoWorkload,
    /// The workload has no container.
    #[error("{workload} has no containers")]
    NoContainers {
        /// `Deployment web`.
        workload: String,
    },
}
