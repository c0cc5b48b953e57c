//! `gauntlet manifests`: Kubernetes manifests validated offline. 0 when no
//! object has an error, 1 when one has (or nothing was validated), 2 when the
//! manifests, the chart or the settings cannot be read.

use std::path::PathBuf;

use gauntlet::manifests::{self, Crds, Helm};

use super::Error;

/// `gauntlet manifests` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and folders (a folder with a kustomization.yaml is rendered with kubectl kustomize).
    #[arg(required_unless_present_any = ["rules", "helm"])]
    paths: Vec<PathBuf>,
    /// The Kubernetes version whose schemas apply: 1.25 to 1.37, as X.Y or X.Y.Z.
    #[arg(long, default_value = manifests::DEFAULT_VERSION)]
    kubernetes_version: String,
    /// Unknown fields are findings too (where a CRD preserves unknown fields, they are not).
    #[arg(long)]
    strict: bool,
    /// Schemas and k8s-openapi parsing only, no policy rules.
    #[arg(long)]
    schema_only: bool,
    /// CRD files or folders: custom resources are validated against their schemas.
    #[arg(long = "crds", value_name = "PATH")]
    crds: Vec<PathBuf>,
    /// Folders of CRD JSON Schemas laid out {group}/{kind}_{version}.json (kind in lower case).
    #[arg(long = "schema-location", value_name = "DIR")]
    schema_locations: Vec<PathBuf>,
    /// Custom resources with no CRD are reported as skipped, not as findings.
    #[arg(long)]
    ignore_missing_schemas: bool,
    /// Do not honour gauntlet.dev/ignore annotations.
    #[arg(long)]
    no_ignores: bool,
    /// A deprecated API is an error, not a warning.
    #[arg(long)]
    fail_on_deprecated: bool,
    /// Render this Helm chart folder with `helm template` and validate the output.
    #[arg(long, value_name = "CHART_DIR")]
    helm: Option<PathBuf>,
    /// With --helm: a values file (repeatable, in order).
    #[arg(long = "values", value_name = "FILE", requires = "helm")]
    values: Vec<PathBuf>,
    /// With --helm: a value, KEY=VALUE (repeatable, in order).
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "helm")]
    set: Vec<String>,
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
    /// Print only the summary line, not each finding.
    #[arg(long, short)]
    quiet: bool,
}

fn usage(e: impl std::fmt::Display) -> Error {
    Error::Usage(e.to_string())
}

/// The CRDs of `--crds` and the catalogs of `--schema-location`, besides those in the input.
fn crds(args: &Args, input: &[manifests::Document]) -> Result<Crds, Error> {
    let mut crds = Crds::default();
    crds.add(input);
    for path in &args.crds {
        let loaded = manifests::read(std::slice::from_ref(path)).map_err(usage)?;
        if let Some(broken) = loaded.broken.into_iter().next() {
            return Err(usage(format!(
                "--crds {}: {}",
                path.display(),
                manifests::Error::from(broken)
            )));
        }
        if crds.add(&loaded.documents) == 0 {
            return Err(usage(format!(
                "--crds {}: holds no {} CustomResourceDefinition",
                path.display(),
                manifests::CRD_API
            )));
        }
    }
    for dir in &args.schema_locations {
        if !dir.is_dir() {
            return Err(usage(format!("--schema-location {}: not a folder", dir.display())));
        }
        crds.add_location(dir.clone());
    }
    Ok(crds)
}

/// Validates the manifests, or prints the rules.
pub fn run(args: Args) -> super::Result {
    if args.rules {
        super::print(&rules());
        return Ok(());
    }
    let version = manifests::version(&args.kubernetes_version).map_err(usage)?;
    let mut loaded = manifests::read(&args.paths).map_err(usage)?;
    if let Some(chart) = &args.helm {
        let helm = Helm {
            chart: chart.clone(),
            values: args.values.clone(),
            set: args.set.clone(),
            kube_version: version.to_owned(),
        };
        manifests::helm_render(&helm, &mut loaded).map_err(usage)?;
    }
    let crds = crds(&args, &loaded.documents)?;
    let schemas = manifests::Schemas::new(version).map_err(usage)?.with_crds(crds);
    let options = manifests::Options {
        strict: args.strict,
        schema_only: args.schema_only,
        ignore_missing_schemas: args.ignore_missing_schemas,
        no_ignores: args.no_ignores,
        fail_on_deprecated: args.fail_on_deprecated,
    };
    let outcome = manifests::check(&loaded.documents, &loaded.broken, &schemas, options);
    let mut out = String::new();
    if !args.quiet {
        for finding in &outcome.findings {
            out.push_str(&finding.text());
            out.push('\n');
        }
        for s in &outcome.suppressed {
            out.push_str(&format!("ignored: {} (reason: {})\n", s.finding.text(), s.reason));
        }
        for f in &outcome.skipped {
            out.push_str(&format!(
                "skipped: {}:{} [{}] {}/{}: no CRD\n",
                f.file.display(),
                f.line,
                f.document,
                f.kind,
                f.name
            ));
        }
    }
    let objects_with = {
        let mut seen: Vec<(&std::path::Path, usize)> =
            outcome.findings.iter().map(|f| (f.file.as_path(), f.document)).collect();
        seen.dedup();
        seen.len()
    };
    let validated = loaded.documents.len() - outcome.skipped.len();
    out.push_str(&format!(
        "{} objects checked against Kubernetes {version}{}{}: {} error(s) and {} warning(s) in {objects_with} object(s)",
        loaded.documents.len(),
        if args.strict { " (strict)" } else { "" },
        if args.schema_only { ", schema only" } else { " with the policy rules" },
        outcome.errors(),
        outcome.warnings(),
    ));
    if !loaded.broken.is_empty() {
        out.push_str(&format!(", {} document(s) not YAML", loaded.broken.len()));
    }
    if !outcome.suppressed.is_empty() {
        out.push_str(&format!(", {} ignored with a reason", outcome.suppressed.len()));
    }
    if !outcome.skipped.is_empty() {
        out.push_str(&format!(", {} skipped (no CRD)", outcome.skipped.len()));
    }
    if outcome.refused_ignores > 0 {
        out.push_str(&format!(", {} ignore(s) refused (--no-ignores)", outcome.refused_ignores));
    }
    out.push('\n');
    let verified_nothing = validated == 0 && loaded.broken.is_empty();
    if verified_nothing {
        out.push_str("verified nothing: no object in the input was validated\n");
    }
    super::print(&out);
    let run = manifests::Run {
        version,
        strict: args.strict,
        policy: !args.schema_only,
        documents: &loaded.documents,
    };
    super::write_reports(&[
        (args.json.as_deref(), "--json", &|| manifests::json(&run, &outcome)),
        (args.junit.as_deref(), "--junit", &|| manifests::junit(&run, &outcome)),
        (args.sarif.as_deref(), "--sarif", &|| manifests::sarif(&run, &outcome)),
    ])?;
    let failed = outcome.failed() || verified_nothing;
    // The process ends here: freeing every parsed object (megabytes of maps
    // for a large repository) would only spend time.
    std::mem::forget((loaded, outcome, schemas));
    super::failed_if(failed)
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
