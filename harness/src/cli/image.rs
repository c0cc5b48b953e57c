//! `gauntlet image`: the service image built FROM scratch, for this checkout's
//! service binary and model (`--gpu`: the CUDA build with its libraries;
//! `--harness`: gauntlet's own image, around this binary or `--binary`).

use std::path::PathBuf;

use gauntlet::image::ImageSpec;
use gauntlet::target::ProcessConfig;

use super::Error;

/// `gauntlet image` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
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
    /// Build gauntlet's own image (manifests/Dockerfile.harness) around this
    /// gauntlet binary, or the gauntlet binary --binary names (default tag gauntlet:dev).
    #[arg(long, conflicts_with = "gpu")]
    harness: bool,
}

/// `--harness`: gauntlet's own image.
fn harness(binary: Option<PathBuf>, tags: Vec<String>) -> super::Result {
    let root = gauntlet::run::source_checkout().ok_or_else(|| {
        Error::Usage("--harness: the image is built from a gauntlet source checkout (its manifests/Dockerfile.harness): run this inside one".into())
    })?;
    let binary = match binary {
        Some(binary) => binary,
        None => std::env::current_exe()
            .map_err(|e| Error::Failed(format!("finding this program: {e}")))?,
    };
    let tags = if tags.is_empty() { vec!["gauntlet:dev".to_owned()] } else { tags };
    match gauntlet::image::build_harness(
        &binary,
        &root.join("manifests/Dockerfile.harness"),
        &root.join("target/image/context-harness"),
        &tags,
    ) {
        Ok(id) => {
            println!("built {id} as {}", tags.join(", "));
            Ok(())
        }
        Err(e @ gauntlet::image::Error::Missing(_)) => Err(Error::Usage(e.to_string())),
        Err(e) => Err(Error::Failed(e.to_string())),
    }
}

/// Builds the image and prints its id and tags.
pub fn run(args: Args) -> super::Result {
    if args.harness {
        return harness(args.binary, args.tags);
    }
    let config = ProcessConfig::locate().map_err(gauntlet::target::Error::from)?;
    let binary = args.binary.unwrap_or(config.binary);
    let mut spec = if args.gpu {
        let libs = match args.cuda_libs {
            Some(libs) => libs,
            None => gauntlet::run::source_checkout()
                .ok_or_else(|| {
                    Error::Usage("--cuda-libs: outside a gauntlet checkout, name the folder".into())
                })?
                .join("target/cuda-toolkit/lib"),
        };
        ImageSpec::for_gpu(binary, config.model_dir, &libs)
            .map_err(|e| Error::Usage(format!("--cuda-libs: {e}")))?
    } else {
        ImageSpec::for_checkout(binary, config.model_dir)
            .map_err(|e| Error::Usage(e.to_string()))?
    };
    if !args.tags.is_empty() {
        spec.tags = args.tags;
    }
    match gauntlet::image::build(&spec) {
        Ok(id) => {
            println!("built {id} as {}", spec.tags.join(", "));
            Ok(())
        }
        Err(e @ gauntlet::image::Error::Missing(_)) => Err(Error::Usage(e.to_string())),
        Err(e) => Err(Error::Failed(e.to_string())),
    }
}
