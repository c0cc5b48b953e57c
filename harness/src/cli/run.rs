//! `gauntlet run`: the catalog's checks, as the profile selects them, against a
//! target, as libtest-mimic trials; then the reports.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use gauntlet::target::{OpenOptions, Spec};
use gauntlet::{Profile, checks, report, runner};

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
    let name = target.name();
    super::write_reports(&[
        (args.json.as_deref(), "--json", &|| report::json(name, &records)),
        (args.junit.as_deref(), "--junit", &|| report::junit(name, &records)),
        (args.markdown.as_deref(), "--markdown", &|| report::markdown(name, &records)),
    ])?;
    if listing {
        return Ok(());
    }
    eprint!("{}", verdict.summary());
    if verdict.verified_nothing() && !args.allow_empty {
        return Err(Error::Failed(
            "exit 1 because the run verified nothing (--allow-empty accepts that)".into(),
        ));
    }
    super::failed_if(conclusion.has_failed())
}
