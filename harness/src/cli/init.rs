//! `gauntlet init`: the three starter files a team adopts gauntlet with, in
//! its own repository: a profile (`.gauntlet/profile.yaml`, a copy of the
//! built-in profile for its server), a CI workflow that runs the action
//! (`.github/workflows/gauntlet.yml`), and `.gauntlet/README.md`, which says
//! what the folder holds (snapshots and baselines). Nothing existing is
//! overwritten: one file in the way and nothing is written.

use std::path::{Path, PathBuf};

use gauntlet::Profile;

use super::Error;

/// The servers a starter profile is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Server {
    /// Any OpenAI-compatible embeddings server (infinity-emb, llama.cpp, LocalAI...).
    Openai,
    /// Hugging Face text-embeddings-inference.
    Tei,
    /// vLLM's OpenAI-compatible server.
    Vllm,
    /// The Open Inference Protocol (KServe v2): Triton, MLServer, KServe.
    OpenInferenceV2,
}

impl Server {
    /// The built-in profile a starter copies.
    fn profile(self) -> &'static str {
        match self {
            Self::Openai => "openai-compatible",
            Self::Tei => "tei",
            Self::Vllm => "vllm",
            Self::OpenInferenceV2 => "open-inference-v2",
        }
    }
}

/// `gauntlet init` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server the profile is for.
    #[arg(long, value_enum, default_value = "openai")]
    server: Server,
    /// Where the service answers in CI (the workflow's `--target url=`).
    #[arg(long, default_value = "http://localhost:8080")]
    url: String,
    /// The folder of Kubernetes manifests to validate in CI and to hold the
    /// live service to (`manifests:` in the profile), relative to the repository.
    #[arg(long, value_name = "DIR")]
    manifests: Option<PathBuf>,
    /// The repository to write into.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

/// The files, relative to the repository.
const PROFILE: &str = ".gauntlet/profile.yaml";
const README: &str = ".gauntlet/README.md";
const WORKFLOW: &str = ".github/workflows/gauntlet.yml";

/// Writes the three files, or none when one is in the way.
pub fn run(args: &Args) -> super::Result {
    if !args.url.starts_with("http://") && !args.url.starts_with("https://") {
        return Err(Error::Usage(format!("--url {}: not an http(s) URL", args.url)));
    }
    if let Some(dir) = &args.manifests
        && (dir.is_absolute() || dir.to_str().is_none_or(|d| d.contains(char::is_whitespace)))
    {
        return Err(Error::Usage(format!(
            "--manifests {}: give a folder relative to the repository, without spaces",
            dir.display()
        )));
    }
    let files = [(PROFILE, profile(args)?), (README, readme()), (WORKFLOW, workflow(args))];
    let in_the_way: Vec<String> = files
        .iter()
        .map(|(path, _)| args.dir.join(path))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !in_the_way.is_empty() {
        return Err(Error::Usage(format!(
            "not overwriting {}: move it away or edit it by hand; nothing was written",
            in_the_way.join(", ")
        )));
    }
    for (path, text) in &files {
        let path = args.dir.join(path);
        write_new(&path, text)
            .map_err(|e| Error::Usage(format!("writing {}: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    println!(
        "next: start your server at {} and run `gauntlet run --target url={} --profile {PROFILE}`; \
         commit the three files and CI runs it on every push",
        args.url, args.url
    );
    Ok(())
}

/// Creates `path` (and its folders) with `text`; never replaces a file.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())
}

/// The built-in profile for the server, renamed, with the folder's snapshots
/// and the manifests, checked to load before anything is written.
fn profile(args: &Args) -> Result<String, Error> {
    let built_in = args.server.profile();
    let text = Profile::built_in_text(built_in).expect("every server has a built-in profile");
    let mut out = format!(
        "# gauntlet profile, written by `gauntlet init --server {}` from the built-in\n\
         # profile `{built_in}`: edit it for your service. Every field is in\n\
         # gauntlet's schemas/profile.schema.json; paths are relative to this folder.\n\
         # `baselines:` sets how far each measured figure may worsen against\n\
         # .gauntlet/baseline.json (see README.md beside this file).\n",
        clap::ValueEnum::to_possible_value(&args.server).expect("no variant is skipped").get_name()
    );
    for line in text.lines() {
        if line.starts_with("name: ") {
            out.push_str("name: my-service\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("snapshots: snapshots\n");
    if let Some(dir) = &args.manifests {
        out.push_str(&format!("manifests: ../{}\n", dir.display()));
    }
    // What is written must load: a starter that fails its first run helps nobody.
    let dir = tempfile_dir()?;
    let probe = dir.join("profile.yaml");
    std::fs::write(&probe, &out).map_err(|e| Error::Usage(e.to_string()))?;
    let loaded = Profile::load(&probe.display().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    loaded.map_err(|e| Error::Usage(format!("the starter profile does not load: {e}")))?;
    Ok(out)
}

/// A fresh private folder under the system's temporary one.
fn tempfile_dir() -> Result<PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("gauntlet-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Usage(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

fn readme() -> String {
    "# .gauntlet\n\
     \n\
     Written by `gauntlet init`. What gauntlet keeps for this repository:\n\
     \n\
     - `profile.yaml`: which checks run against the service, where it serves each route, and the numbers.\n\
     - `snapshots/`: reviewed answers of the `snapshot.*` checks, when the profile includes them\n\
     \x20 (`cargo insta review` after a run writes `.snap.new` files).\n\
     - `baseline.json`: a JSON report to hold later runs to. Take one from a good run with\n\
     \x20 `gauntlet run --target url=... --profile .gauntlet/profile.yaml --json .gauntlet/baseline.json`,\n\
     \x20 commit it, and add `--baseline .gauntlet/baseline.json` to the workflow's command: a figure that\n\
     \x20 worsens beyond the profile's `baselines:` tolerances, or a MUST check that newly fails, fails the\n\
     \x20 job. `gauntlet compare OLD.json NEW.json` shows the same table for any two runs.\n"
        .to_owned()
}

fn workflow(args: &Args) -> String {
    let mut out = format!(
        "# Written by `gauntlet init`: gauntlet on every push and pull request.\n\
         name: gauntlet\n\
         \n\
         on:\n\
         \x20 push:\n\
         \x20 pull_request:\n\
         \n\
         jobs:\n\
         \x20 gauntlet:\n\
         \x20   runs-on: ubuntu-latest\n\
         \x20   permissions:\n\
         \x20     contents: read\n\
         \x20     security-events: write\n\
         \x20   steps:\n\
         \x20     - uses: actions/checkout@v4\n\
         \x20     # Start your service here so that it answers at {url}, e.g.\n\
         \x20     # `docker run -d -p 8080:8080 your/image` and a wait for its readiness.\n\
         \x20     - name: start the service\n\
         \x20       run: |\n\
         \x20         echo \"::error::edit .github/workflows/gauntlet.yml: start the service at {url} here\"\n\
         \x20         exit 1\n\
         \x20     - uses: gauntlet-rs/gauntlet@v{version}\n\
         \x20       with:\n\
         \x20         version: \"{version}\"\n\
         \x20         command: run --target url={url} --profile .gauntlet/profile.yaml\n",
        url = args.url,
        version = env!("CARGO_PKG_VERSION"),
    );
    if let Some(dir) = &args.manifests {
        out.push_str(&format!(
            "\x20     - uses: gauntlet-rs/gauntlet@v{version}\n\
             \x20       with:\n\
             \x20         version: \"{version}\"\n\
             \x20         command: manifests {dir}\n\
             \x20         reports: gauntlet-manifests\n",
            version = env!("CARGO_PKG_VERSION"),
            dir = dir.display(),
        ));
    }
    out
}
