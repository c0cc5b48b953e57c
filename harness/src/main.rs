//! `gauntlet`: list the check catalog, run it against a target, build the
//! service image, scan files, images, Dockerfiles and manifests, or report this
//! host's GPUs.
//!
//! Exit codes: 0 when every MUST check passed, 1 when one failed, 2 for usage
//! and configuration errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use gauntlet::image::ImageSpec;
use gauntlet::target::{
    self, ContainerConfig, ContainerTarget, ImageTarget, KubeConfig, KubeTarget, ProcessConfig,
    ProcessTarget, ServiceImage, UrlTarget,
};
use gauntlet::{Profile, Target, checks, report, runner};

/// Conformance suite for inference services.
#[derive(Debug, Parser)]
#[command(name = "gauntlet", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the check catalog.
    List {
        /// Print it as the Markdown of CHECKS.md.
        #[arg(long)]
        markdown: bool,
    },
    /// Run the checks against a target.
    Run {
        /// `process` (start gauntlet-service here), `url=<base URL>`, or
        /// `container[=IMAGE]` (default gauntlet-service:dev, built when missing), or
        /// `image=IMAGE` (the image checks only, without running it).
        #[arg(long)]
        target: String,
        /// A built-in profile (reference, openai-compatible, gpu) or a YAML file.
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
        /// libtest arguments: a filter, `--exact`, `--skip`, `--list`, `--test-threads`.
        #[arg(last = true)]
        libtest: Vec<String>,
    },
    /// Validate Kubernetes manifests offline: schemas, k8s-openapi types, policy rules.
    Manifests(ManifestsArgs),
    /// Scan files, or an image's layers, for private keys, tokens and passwords.
    Secrets {
        /// Files and folders (.git, target and models are skipped).
        #[arg(required_unless_present = "image")]
        paths: Vec<PathBuf>,
        /// Also scan this local image: every layer's text files, its
        /// configuration and manifests (repeatable).
        #[arg(long)]
        image: Vec<String>,
        /// Known test values: `PATH RULE` lines (`IMAGE:/path` for a file in an image).
        #[arg(long)]
        allow: Option<PathBuf>,
    },
    /// Check Dockerfiles against the rules that matter for images built from scratch.
    Dockerfile {
        /// The Dockerfiles.
        #[arg(required_unless_present = "rules")]
        paths: Vec<PathBuf>,
        /// Print the rules and exit.
        #[arg(long)]
        rules: bool,
    },
    /// Print this host's NVML report as JSON (the shape of a service's `/gpu`, and
    /// of the `report` in `fixtures/gpu/`); exit 0 when NVML names at least one
    /// GPU with its driver, CUDA version and UUIDs, 1 when not, with the reason.
    Gpu,
    /// Build the service image FROM scratch (manifests/Dockerfile) and print its id and size.
    Image {
        /// The gauntlet-service binary (default: beside this one, or GAUNTLET_SERVICE_BIN).
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Tags to give it (default: gauntlet-service:dev, with --gpu gauntlet-service:gpu).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Build the GPU image (manifests/Dockerfile.gpu) around a CUDA build of the
        /// service, with the CUDA libraries from --cuda-libs.
        #[arg(long)]
        gpu: bool,
        /// With --gpu: the folder holding cuBLAS, cuBLASLt and cuRAND (every
        /// `lib*.so*` in it is copied; default target/cuda-toolkit/lib).
        #[arg(long, requires = "gpu")]
        cuda_libs: Option<PathBuf>,
    },
}

/// `gauntlet manifests` settings.
#[derive(Debug, clap::Args)]
struct ManifestsArgs {
    /// Files and folders (a folder with a kustomization.yaml is rendered with kubectl kustomize).
    #[arg(required_unless_present = "rules")]
    paths: Vec<PathBuf>,
    /// The Kubernetes version whose schemas apply (1.33 or 1.37).
    #[arg(long, default_value = gauntlet::manifests::DEFAULT_VERSION)]
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

/// The catalog as aligned columns: id, level, needs, description.
fn listing() -> String {
    checks::catalog()
        .iter()
        .map(|c| {
            let needs: Vec<String> = c.needs.iter().map(ToString::to_string).collect();
            format!(
                "{:<28} {:<6} {:<40} {}\n",
                c.id,
                c.level.name(),
                needs.join(","),
                c.description
            )
        })
        .collect()
}

fn main() -> ExitCode {
    let code = run(Cli::parse().command);
    gauntlet::docker::settle();
    code
}

fn run(command: Command) -> ExitCode {
    match command {
        Command::List { markdown } => {
            let text = if markdown { checks::markdown() } else { listing() };
            // A closed pipe (`gauntlet list | head`) is not an error worth a panic.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
            ExitCode::SUCCESS
        }
        Command::Run { target, profile, json, junit, markdown, image, gpus, libtest } => {
            let profile = match Profile::load(&profile) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(2);
                }
            };
            let target: Arc<dyn Target> = match open(&target, &profile, image, gpus) {
                Ok(t) => t,
                Err(target::Error::Config(e)) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(2);
                }
                Err(e) => {
                    eprintln!("gauntlet: {e}");
                    return ExitCode::from(1);
                }
            };
            let args = libtest_mimic::Arguments::from_iter(
                std::iter::once("gauntlet".to_owned()).chain(libtest),
            );
            let records = Arc::new(Mutex::new(Vec::new()));
            let conclusion = libtest_mimic::run(
                &args,
                runner::trials(target.clone(), &checks::catalog(), &profile, &records),
            );
            let outputs: [(Option<PathBuf>, &str, report::Render); 3] = [
                (json, "--json", report::json),
                (junit, "--junit", report::junit),
                (markdown, "--markdown", report::markdown),
            ];
            for (path, flag, render) in outputs {
                let Some(path) = path else { continue };
                if let Err(e) = std::fs::write(&path, render(target.name(), &records)) {
                    eprintln!("gauntlet: {flag} {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            if conclusion.has_failed() { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Command::Gpu => gpu(),
        Command::Image { binary, tags, gpu, cuda_libs } => image(binary, tags, gpu, cuda_libs),
        Command::Manifests(args) => manifests(args),
        Command::Dockerfile { paths, rules } => dockerfile(&paths, rules),
        Command::Secrets { paths, image, allow } => secrets(&paths, &image, allow.as_deref()),
    }
}

/// `gauntlet gpu`: the report on stdout; 0 with a GPU, 1 without, and why.
fn gpu() -> ExitCode {
    use gauntlet::gpu;
    let host = gpu::host_report();
    println!("{}", serde_json::to_string_pretty(&host).expect("a report serializes"));
    let verdict = match host.no_gpu() {
        Some(why) => Err(why),
        None => gpu::judge_host(&host),
    };
    match verdict {
        Ok(summary) => {
            eprintln!("gauntlet: {summary}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("gauntlet: {why}");
            ExitCode::from(1)
        }
    }
}

/// `gauntlet manifests`: 0 when no object has a finding, 1 when one has, 2 when
/// the manifests or the settings cannot be read.
fn manifests(args: ManifestsArgs) -> ExitCode {
    use gauntlet::manifests;
    if args.rules {
        let mut out = String::new();
        for (id, description) in manifests::SCHEMA_RULES {
            out.push_str(&format!("{id:<30} schema  {description}\n"));
        }
        for rule in manifests::RULES {
            let set = if rule.set == manifests::Set::Gpu { "gpu" } else { "common" };
            out.push_str(&format!("{:<30} {set:<7} {}\n", rule.id, rule.description));
        }
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
        return ExitCode::SUCCESS;
    }
    let version = &args.kubernetes_version;
    let root = args.schemas.clone().unwrap_or_else(manifests::default_root);
    let schemas = match manifests::Schemas::open(&root, version) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gauntlet: {e}");
            return ExitCode::from(2);
        }
    };
    let documents = match manifests::load(&args.paths) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("gauntlet: {e}");
            return ExitCode::from(2);
        }
    };
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
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    let run = manifests::Run {
        version,
        strict: args.strict,
        policy: !args.schema_only,
        documents: &documents,
    };
    let outputs: [(Option<PathBuf>, &str, manifests::Render); 3] = [
        (args.json, "--json", manifests::json),
        (args.junit, "--junit", manifests::junit),
        (args.sarif, "--sarif", manifests::sarif),
    ];
    for (path, flag, render) in outputs {
        let Some(path) = path else { continue };
        if let Err(e) = std::fs::write(&path, render(&run, &findings)) {
            eprintln!("gauntlet: {flag} {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// `gauntlet secrets`: 0 when nothing outside the allow-list looks like a
/// secret, 1 when something does, 2 when a path, an image or the allow-list
/// cannot be read.
fn secrets(paths: &[PathBuf], images: &[String], allow: Option<&std::path::Path>) -> ExitCode {
    use gauntlet::secrets::{AllowList, scan_files, scan_image_archive};
    let allow = match allow.map(|p| std::fs::read_to_string(p).map(|t| (p, t))) {
        None => AllowList::default(),
        Some(Ok((path, text))) => match AllowList::parse(&text) {
            Ok(list) => list,
            Err(e) => {
                eprintln!("gauntlet: --allow {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        Some(Err(e)) => {
            eprintln!("gauntlet: --allow: {e}");
            return ExitCode::from(2);
        }
    };
    let mut found = match scan_files(paths) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("gauntlet: {e}");
            return ExitCode::from(2);
        }
    };
    let mut summary = String::new();
    if !images.is_empty() {
        let engine = match gauntlet::docker::Engine::locate() {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("gauntlet: --image needs the Docker engine: {e}");
                return ExitCode::from(2);
            }
        };
        for image in images {
            let scanned = gauntlet::docker::export_image(&engine, image)
                .and_then(|archive| scan_image_archive(&archive, image));
            match scanned {
                Ok(scan) => {
                    summary.push_str(&format!(
                        "image {image}: {} layer(s), {} text file(s) scanned, {} binary or over 4 MB not scanned\n",
                        scan.layers, scan.scanned, scan.skipped
                    ));
                    found.extend(scan.findings);
                }
                Err(e) => {
                    eprintln!("gauntlet: --image {image}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    let (allowed, flagged): (Vec<_>, Vec<_>) = found.iter().partition(|f| allow.allows(f));
    let mut out = String::new();
    for f in &flagged {
        out.push_str(&f.line());
        out.push('\n');
    }
    for entry in allow.unused(&found) {
        out.push_str(&format!("note: allow-list entry `{entry}` matched nothing\n"));
    }
    out.push_str(&summary);
    out.push_str(&format!(
        "{} finding(s), {} of them allowed as known test values\n",
        found.len(),
        allowed.len()
    ));
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    if flagged.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// `gauntlet dockerfile`: 0 when every Dockerfile follows every rule, 1 when
/// one does not, 2 when one cannot be read.
fn dockerfile(paths: &[PathBuf], rules: bool) -> ExitCode {
    let mut out = String::new();
    if rules {
        for (id, description) in gauntlet::dockerfile::RULES {
            out.push_str(&format!("{id:<28} {description}\n"));
        }
        let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
        return ExitCode::SUCCESS;
    }
    let mut findings = Vec::new();
    for path in paths {
        match gauntlet::dockerfile::check_file(path) {
            Ok(found) => findings.extend(found),
            Err(e) => {
                eprintln!("gauntlet: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    for finding in &findings {
        out.push_str(&finding.line());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} Dockerfile(s) checked: {} finding(s)\n",
        paths.len(),
        findings.len()
    ));
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Deploys the profile's manifests to the cluster of `context` (default: the
/// current one); without a reachable cluster this is a configuration error that
/// says `not applicable: no cluster`.
fn open_kube(
    context: Option<String>,
    profile: &Profile,
    image: Option<String>,
) -> target::Result<Arc<dyn Target>> {
    let Some(manifests) = profile.manifests.clone() else {
        return Err(target::Error::Config(format!(
            "--target kube: the profile {} names no manifests (`manifests:`) to deploy",
            profile.name
        )));
    };
    gauntlet::docker::handle_interrupts();
    let config = KubeConfig { image, ..KubeConfig::new(context, manifests) };
    Ok(Arc::new(KubeTarget::start(&config)?))
}

/// Starts the container target; the default image is built first when missing.
fn open_container(image: Option<&str>, gpus: bool) -> target::Result<Arc<dyn Target>> {
    // SAFETY: called from main's thread before any other thread starts.
    let engine = match unsafe { gauntlet::docker::prepare() } {
        Ok(engine) => engine,
        Err(why) => return Err(target::Error::Config(format!("--target container: {why}"))),
    };
    let image = image.map(ServiceImage::from_reference).unwrap_or_default();
    if !gauntlet::docker::image_exists(engine, &image.reference()) {
        if image.reference() != ServiceImage::default().reference() {
            return Err(target::Error::Config(format!(
                "--target container={}: no such image on the Docker engine (nothing is pulled)",
                image.reference()
            )));
        }
        let process = ProcessConfig::locate()?;
        eprintln!("gauntlet: building {} first", image.reference());
        gauntlet::image::build(&ImageSpec::for_checkout(process.binary, process.model_dir))
            .map_err(|e| target::Error::Start(format!("building {}: {e}", image.reference())))?;
    }
    let config = ContainerConfig { image, gpus, ..ContainerConfig::default() };
    Ok(Arc::new(ContainerTarget::start(&config)?))
}

fn image(
    binary: Option<PathBuf>,
    tags: Vec<String>,
    gpu: bool,
    cuda_libs: Option<PathBuf>,
) -> ExitCode {
    let config = match ProcessConfig::locate() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gauntlet: {e}");
            return ExitCode::from(2);
        }
    };
    let binary = binary.unwrap_or(config.binary);
    let mut spec = if gpu {
        let libs = cuda_libs
            .unwrap_or_else(|| gauntlet::image::workspace_root().join("target/cuda-toolkit/lib"));
        match ImageSpec::for_gpu(binary, config.model_dir, &libs) {
            Ok(spec) => spec,
            Err(e) => {
                eprintln!("gauntlet: --cuda-libs: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        ImageSpec::for_checkout(binary, config.model_dir)
    };
    if !tags.is_empty() {
        spec.tags = tags;
    }
    match gauntlet::image::build(&spec) {
        Ok(id) => {
            println!("built {id} as {}", spec.tags.join(", "));
            ExitCode::SUCCESS
        }
        Err(e @ gauntlet::image::Error::Missing(_)) => {
            eprintln!("gauntlet: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("gauntlet: {e}");
            ExitCode::from(1)
        }
    }
}

fn open(
    spec: &str,
    profile: &Profile,
    image: Option<String>,
    gpus: bool,
) -> target::Result<Arc<dyn Target>> {
    if gpus && !spec.starts_with("container") {
        return Err(target::Error::Config(format!(
            "--gpus: only the container target requests GPUs (not --target {spec})"
        )));
    }
    match spec.split_once('=') {
        None if spec == "kube" => open_kube(None, profile, image),
        Some(("kube", context)) => open_kube(Some(context.to_owned()), profile, image),
        None if spec == "process" => Ok(Arc::new(ProcessTarget::start(&ProcessConfig::locate()?)?)),
        Some(("url", base)) => Ok(Arc::new(UrlTarget::connect(base)?)),
        None if spec == "container" => open_container(None, gpus),
        Some(("container", image)) => open_container(Some(image), gpus),
        Some(("image", reference)) => {
            // SAFETY: called from main's thread before any other thread starts.
            if let Err(why) = unsafe { gauntlet::docker::prepare() } {
                return Err(target::Error::Config(format!("--target image: {why}")));
            }
            Ok(Arc::new(ImageTarget::open(reference)?))
        }
        _ => Err(target::Error::Config(format!(
            "--target {spec}: unknown target (use `process`, `url=<base URL>`, `container[=IMAGE]`, `image=IMAGE` or `kube[=CONTEXT]`)"
        ))),
    }
}
