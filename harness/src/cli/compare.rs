//! `gauntlet compare OLD NEW`: every measured figure old and new with the
//! change, and every check whose outcome changed; exit 1 on a regression
//! beyond tolerance, a MUST check newly failing, or a gated figure with no data.

use std::path::{Path, PathBuf};

use gauntlet::Profile;
use gauntlet::compare::{self, Comparison, Side};
use gauntlet::profile::Baselines;

use super::Error;

/// `gauntlet compare` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The baseline: a JSON report of `gauntlet run` (or `gauntlet manifests`).
    old: PathBuf,
    /// The run held against it.
    new: PathBuf,
    /// Tolerances per figure (`schemas/baselines.schema.json`, YAML or JSON);
    /// they replace those the new report's profile set, figure by figure.
    #[arg(long, value_name = "FILE")]
    tolerances: Option<PathBuf>,
    /// Pass although a gated figure of the baseline has no data in NEW.
    #[arg(long)]
    allow_missing: bool,
    /// Write the comparison as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the comparison as Markdown here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long)]
    markdown: Option<PathBuf>,
}

/// Compares, prints the tables and writes the reports.
pub fn run(args: &Args) -> super::Result {
    let old = read_side(&args.old)?;
    let new = read_side(&args.new)?;
    let base = new
        .baselines
        .clone()
        .or_else(|| old.baselines.clone())
        .unwrap_or_else(|| Profile::default().baselines);
    let tolerances = match &args.tolerances {
        Some(path) => read_tolerances(path)?.over(&base),
        None => base,
    };
    let comparison = compare::compare(&old, &new, &tolerances);
    let markdown = comparison.markdown(args.allow_missing);
    super::print(&markdown);
    super::write_reports(&[
        (args.json.as_deref(), "--json", &|| json(&comparison, args.allow_missing)),
        (args.markdown.as_deref(), "--markdown", &|| markdown.clone()),
    ])?;
    if comparison.fails(args.allow_missing) {
        return Err(Error::Failed(comparison.verdict_line(args.allow_missing)));
    }
    Ok(())
}

/// A JSON report, or a usage error naming the file.
pub fn read_side(path: &Path) -> Result<Side, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    Side::parse(&text, &path.display().to_string()).map_err(|e| Error::Usage(e.to_string()))
}

/// A tolerances file, validated against `schemas/baselines.schema.json`.
fn read_tolerances(path: &Path) -> Result<Baselines, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("--tolerances {}: {e}", path.display())))?;
    Baselines::parse(&text)
        .map_err(|e| Error::Usage(format!("--tolerances {}: {e}", path.display())))
}

fn json(comparison: &Comparison, allow_missing: bool) -> String {
    let mut value = serde_json::to_value(comparison).expect("plain data");
    value["fails"] = comparison.fails(allow_missing).into();
    format!("{value:#}\n")
}
