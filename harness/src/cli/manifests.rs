//! `gauntlet manifests`: Kubernetes manifests validated offline. 0 when no
//! object has a finding, 1 when one has, 2 when the manifests or the settings
//! cannot be read.

use std::path::PathBuf;

use gauntlet::manifests;

use super::Error;

/// `gauntlet manifests` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and folders (a folder with a kustomization.yaml is rendered with kubectl kustomize).
    #[arg(required_unless_present = "rules")]
    paths: Vec<PathBuf>,
    /// The Kubernetes version whose schemas apply (1.33 or 1.37).
    #[arg(long, default_value = manifests::DEFAULT_VERSION)]
    kubernetes_version: String,
    /// Unknown fields are findings too.
    #[arg(long)]
    strict: bool,
    /// Schemas and k8s-openapi parsing only, no policy rules.
    #[arg(long)]
    schema_only: bool,
    /// Print the rules and exit.
    #[arg(long)]
    rules: bool,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the JUnit XML report here (one testcase per object).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the SARIF 2.1.0 report here (for code scanning).
    #[arg(long)]
    sarif: Option<PathBuf>,
    /// The folder of vendored schemas (default: schemas/kubernetes of this checkout).
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// Print only the summary line, not each finding.
    #[arg(long, short)]
    quiet: bool,
}

/// Validates the manifests, or prints the rules.
pub fn run(args: Args) -> super::Result {
    if args.rules {
        super::print(&rules());
        return Ok(());
    }
    let version = &args.kubernetes_version;
    let root = args.schemas.clone().unwrap_or_else(manifests::default_root);
    let schemas =
        manifests::Schemas::open(&root, version).map_err(|e| Error::Usage(e.to_string()))?;
    let documents = manifests::load(&args.paths).map_err(|e| Error::Usage(e.to_string()))?;
    let options = manifests::Options { strict: args.strict, schema_only: args.schema_only };
    let findings = manifests::check(&documents, &schemas, options);
    let mut out = String::new();
    if !args.quiet {
        for finding in &findings {
            out.push_str(&finding.line());
            out.push('\n');
        }
    }
    let objects_with = {
        let mut seen: Vec<(&std::path::Path, usize)> =
            findings.iter().map(|f| (f.file.as_path(), f.document)).collect();
        seen.dedup();
        seen.len()
    };
    out.push_str(&format!(
        "{} objects checked against Kubernetes {version}{}{}: {} finding(s) in {objects_with} object(s)\n",
        documents.len(),
        if args.strict { " (strict)" } else { "" },
        if args.schema_only { ", schema only" } else { " with the policy rules" },
        findings.len(),
    ));
    super::print(&out);
    let run = manifests::Run {
        version,
        strict: args.strict,
        policy: !args.schema_only,
        documents: &documents,
    };
    super::write_reports(&[
        (args.json.as_deref(), "--json", &|| manifests::json(&run, &findings)),
        (args.junit.as_deref(), "--junit", &|| manifests::junit(&run, &findings)),
        (args.sarif.as_deref(), "--sarif", &|| manifests::sarif(&run, &findings)),
    ])?;
    super::failed_if(!findings.is_empty())
}

/// The schema rules and the policy rules, one a line.
fn rules() -> String {
    let mut out = String::new();
    for (id, description) in manifests::SCHEMA_RULES {
        out.push_str(&format!("{id:<30} schema  {description}\n"));
    }
    for rule in manifests::RULES {
        let set = if rule.set == manifests::Set::Gpu { "gpu" } else { "common" };
        out.push_str(&format!("{:<30} {set:<7} {}\n", rule.id, rule.description));
    }
    out
}
