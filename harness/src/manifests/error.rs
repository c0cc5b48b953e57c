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
    #[error("{}:{line}:{column}: document {index}: not YAML: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The document's index.
        index: usize,
        /// Where the parser stopped, from 1.
        line: usize,
        /// The column there, from 1.
        column: usize,
        /// What the parser said.
        message: String,
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
    #[error(
        "--kubernetes-version {asked}: not a supported version: give {oldest} to {newest} (X.Y or X.Y.Z)"
    )]
    Version {
        /// The version asked for.
        asked: String,
        /// The oldest supported.
        oldest: &'static str,
        /// The newest supported.
        newest: &'static str,
    },
    /// The schemas embedded in this binary do not load (a build defect).
    #[error("the embedded Kubernetes schemas do not load: {0}")]
    Embedded(String),
    /// k8s-openapi cannot read an object its schema accepted.
    #[error("k8s-openapi cannot read this {kind}: {source}")]
    Typed {
        /// The object's kind.
        kind: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// Rendering a chart needs helm, which could not run.
    #[error(
        "{}: rendering a Helm chart needs helm ({}), which could not run: {source}; install helm 3 (or set GAUNTLET_HELM), or render the chart yourself and pass the output",
        chart.display(), program.display()
    )]
    NoHelm {
        /// The chart.
        chart: PathBuf,
        /// The program tried.
        program: PathBuf,
        /// Why it could not run.
        #[source]
        source: std::io::Error,
    },
    /// helm could not render a chart.
    #[error("{}: helm template failed: {message}", chart.display())]
    Helm {
        /// The chart.
        chart: PathBuf,
        /// What helm said.
        message: String,
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
