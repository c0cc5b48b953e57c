//! `gauntlet run`: the catalog's checks, as the profile selects them, against a
//! target, as libtest-mimic trials; then the reports.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use gauntlet::target::{OpenOptions, Spec};
use gauntlet::{Profile, checks, compare, report, runner};

use super::Error;

/// `gauntlet run` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// `process` (start gauntlet-service here), `url=<base URL>`, or
    /// `container[=IMAGE]` (default gauntlet-service:dev, built when missing), or
    /// `image=IMAGE` (the image checks only, without running it), or
    /// `kube[=CONTEXT]` (deploy the profile's manifests to a cluster).
    #[arg(long)]
    target: String,
    /// A built-in profile (reference, openai-compatible, open-inference-v2, tei, vllm, gpu) or a YAML file.
    #[arg(long, default_value = "reference")]
    profile: String,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write the HTML report here: one self-contained file, the check table and
    /// the timing plots (with `--baseline`, old against new).
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// Hold this run against an earlier JSON report (as `gauntlet compare` does)
    /// and write the comparison into every report; a regression exits 1.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// With `--baseline`: pass although a gated figure has no data in this run.
    #[arg(long)]
    allow_missing: bool,
    /// For `--target kube`: the image to deploy instead of the manifests' own.
    #[arg(long)]
    image: Option<String>,
    /// For `--target container`: request every GPU (`docker run --gpus all`),
    /// which needs the NVIDIA container runtime.
    #[arg(long)]
    gpus: bool,
    /// Set a profile field, e.g. `model=NAME`, `readiness_path=/ready`,
    /// `routes.embeddings=/api/embed`, `thresholds.load_p99=5s`; checked
    /// against the profile schema like the file itself. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Exit 0 even when no check passed or failed (every one not applicable, or
    /// a filter that matched nothing). Without it such a run exits 1: it verified nothing.
    #[arg(long)]
    allow_empty: bool,
    /// libtest arguments: a filter, `--exact`, `--skip`, `--list`, `--test-threads`.
    #[arg(last = true)]
    libtest: Vec<String>,
}

impl Args {
    /// Whether the target starts containers through testcontainers.
    pub fn uses_testcontainers(&self) -> bool {
        self.target.parse::<Spec>().is_ok_and(|spec| spec.uses_testcontainers())
    }
}

/// Opens the target, runs the trials and writes the reports.
pub fn run(args: Args) -> super::Result {
    let profile =
        Profile::load_with(&args.profile, &args.set).map_err(|e| Error::Usage(e.to_string()))?;
    let spec: Spec = args.target.parse()?;
    // Read before the run: a baseline that is not a report is a usage error, not an hour lost.
    let baseline = args.baseline.as_deref().map(super::compare::read_side).transpose()?;
    let options = OpenOptions { image: args.image, gpus: args.gpus };
    let target = spec.open(&profile, &options)?;
    let libtest = libtest_mimic::Arguments::from_iter(
        std::iter::once("gauntlet".to_owned()).chain(args.libtest),
    );
    let listing = libtest.list;
    let records = Arc::new(Mutex::new(Vec::new()));
    let conclusion = libtest_mimic::run(
        &libtest,
        runner::trials(target.clone(), &checks::catalog(), &profile, &records),
    );
    let verdict = runner::Verdict::of(&records);
    let about = report::About {
        profile: profile.name.clone(),
        target: target.name().to_owned(),
        kubernetes_version: target.kubernetes_version(),
        baselines: profile.baselines.clone(),
    };
    let comparison = baseline.as_ref().filter(|_| !listing).map(|old| {
        let this = report::Run { about: &about, records: &records, comparison: None };
        let new: compare::Side =
            serde_json::from_value(report::json_value(&this)).expect("a report reads as a side");
        compare::compare(old, &new, &profile.baselines)
    });
    let run = report::Run {
        about: &about,
        records: &records,
        comparison: comparison.as_ref().map(|c| (c, args.allow_missing)),
    };
    super::write_reports(&[
        (args.json.as_deref(), "--json", &|| report::json(&run)),
        (args.junit.as_deref(), "--junit", &|| report::junit(&run)),
        (args.markdown.as_deref(), "--markdown", &|| report::markdown(&run)),
        (args.html.as_deref(), "--html", &|| gauntlet::html::html(&run)),
    ])?;
    if listing {
        return Ok(());
    }
    eprint!("{}", verdict.summary());
    if let Some(comparison) = &comparison {
        eprint!("\n{}", comparison.markdown(args.allow_missing));
        if comparison.fails(args.allow_missing) {
            return Err(Error::Failed(comparison.verdict_line(args.allow_missing)));
        }
    }
    if verdict.verified_nothing() && !args.allow_empty {
        return Err(Error::Failed(
            "exit 1 because the run verified nothing (--allow-empty accepts that)".into(),
        ));
    }
    super::failed_if(conclusion.has_failed())
}
