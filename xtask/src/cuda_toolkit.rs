//! `cargo xtask cuda-toolkit`: nvcc and the CUDA headers (and, with
//! `--libraries`, the CUDA libraries the service links) from NVIDIA's PyPI
//! wheels, pinned by hash, into `target/cuda-toolkit/`: no Debian CUDA, no GPU
//! needed, nothing outside the project touched. Installed once; run again it
//! only prints the environment the CUDA build needs.
//!
//! CUDA 13.0, the set the `cuda-toolkit==13.0.2` wheel pins: cudarc 0.19
//! supports it and the H100 host the GPU figures were taken on runs driver 580
//! (CUDA 13.0). The CUDA 12 nvcc wheels ship no `nvcc`, only ptxas.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags::CudaToolkit;
use crate::util;

/// What candle-kernels' build needs: nvcc, cicc and libdevice, the CRT, runtime
/// (fp16, bf16, fp8) and CCCL headers. About 104 MB of wheels.
const COMPILE: &[(&str, &str)] = &[
    (
        "nvidia-cuda-nvcc==13.0.88",
        "56fe502eb77625a12f25172caa3cdddb4e4c8ba2c8c17dba44b164761b380f03",
    ),
    (
        "nvidia-cuda-crt==13.0.88",
        "2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4",
    ),
    ("nvidia-nvvm==13.0.88", "c5f41ffeb6466944a026dfa5317d7d85355c119bbec279205d22f1869d1054e0"),
    (
        "nvidia-cuda-runtime==13.0.96",
        "7f82250d7782aa23b6cfe765ecc7db554bd3c2870c43f3d1821f1d18aebf0548",
    ),
    (
        "nvidia-cuda-cccl==13.0.85",
        "e0da7ad981f3a8aff08241b5bfc1af868742a63e2762f53a5171c492ef242649",
    ),
];

/// What linking and running the CUDA build adds: NVRTC, cuRAND, cuBLAS and
/// cuBLASLt. About 543 MB of wheels.
const LIBRARIES: &[(&str, &str)] = &[
    (
        "nvidia-cuda-nvrtc==13.0.88",
        "ad9b6d2ead2435f11cbb6868809d2adeeee302e9bb94bcf0539c7a40d80e8575",
    ),
    (
        "nvidia-curand==10.4.0.35",
        "1aee33a5da6e1db083fe2b90082def8915f30f3248d5896bcec36a579d941bfc",
    ),
    ("nvidia-cublas==13.1.0.3", "ee8722c1f0145ab246bccb9e452153b5e0515fd094c3678df50b2a0888b8b171"),
];

/// The libraries the service opens at run time, as the GPU image carries them.
const RUNTIME_LIBRARIES: &[&str] = &[
    "libcudart.so.13",
    "libnvrtc.so.13",
    "libcurand.so.10",
    "libcublas.so.13",
    "libcublasLt.so.13",
];

/// The install root.
pub fn root() -> PathBuf {
    util::project_root().join("target/cuda-toolkit")
}

/// `CUDA_HOME`: where the wheels put `bin/nvcc`, `include/` and `lib/`.
pub fn cuda_home() -> PathBuf {
    root().join("pip/nvidia/cu13")
}

impl CudaToolkit {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        ensure(sh, self.libraries)?;
        println!("# the environment `cargo build -p gauntlet-service --features cuda` needs:");
        for (name, value) in env() {
            println!("export {name}={}", value.to_string_lossy());
        }
        if self.libraries {
            println!("# to run the CUDA build here (the driver's libcuda comes from the host):");
            println!("export LD_LIBRARY_PATH={}", cuda_home().join("lib").display());
            println!(
                "# the libraries for the GPU image: {} (gauntlet image --gpu)",
                root().join("lib").display()
            );
        }
        Ok(())
    }
}

/// Installs the compile set (and the libraries with `libraries`) unless already there.
pub fn ensure(sh: &Shell, libraries: bool) -> anyhow::Result<()> {
    let (done, wheels): (PathBuf, Vec<&(&str, &str)>) = if libraries {
        (marker("full"), COMPILE.iter().chain(LIBRARIES).collect())
    } else {
        (marker("compile"), COMPILE.iter().collect())
    };
    if done.exists() || marker("full").exists() {
        return Ok(());
    }
    let megabytes = if libraries { 647 } else { 104 };
    util::say(format_args!(
        "installing the CUDA 13.0 toolkit{} from NVIDIA's PyPI wheels into target/cuda-toolkit: once, about {megabytes} MB",
        if libraries { " and libraries" } else { "" }
    ));
    let pip = root().join("pip");
    if pip.exists() {
        // pip --target does not merge into a folder it filled before.
        sh.remove_path(&pip)?;
    }
    sh.create_dir(root())?;
    let requirements = root().join("requirements.txt");
    let lines: Vec<String> =
        wheels.iter().map(|(pin, sha)| format!("{pin} --hash=sha256:{sha}")).collect();
    sh.write_file(&requirements, lines.join("\n") + "\n")?;
    cmd!(
        sh,
        "python3 -m pip install --quiet --no-deps --require-hashes --disable-pip-version-check --target {pip} -r {requirements}"
    )
    .run()
    .context("pip install of the CUDA wheels failed: is python3 with pip installed and PyPI reachable?")?;
    let nvcc = cuda_home().join("bin/nvcc");
    let version = cmd!(sh, "{nvcc} --version").read().context("the installed nvcc does not run")?;
    util::say(format_args!("{}", version.lines().last().unwrap_or_default()));
    if libraries {
        link_libraries(sh)?;
    }
    sh.write_file(&done, "")?;
    Ok(())
}

/// The file that says a set was installed, named after the pinned wheels, so
/// a change of pins installs again.
fn marker(set: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (COMPILE, LIBRARIES).hash(&mut hasher);
    root().join(format!(".installed-{set}-{:016x}", hasher.finish()))
}

/// The unversioned names the linker asks for, a `libcuda.so` stub to link
/// against on a machine without a driver (in `lib/stubs/`, never on a run-time
/// path: the driver's own libcuda must win there), and `target/cuda-toolkit/lib`
/// holding the run-time libraries for the GPU image.
fn link_libraries(sh: &Shell) -> anyhow::Result<()> {
    let lib = cuda_home().join("lib");
    for versioned in RUNTIME_LIBRARIES {
        let plain = versioned.split(".so").next().unwrap_or_default().to_owned() + ".so";
        let link = lib.join(&plain);
        if !link.exists() {
            std::os::unix::fs::symlink(versioned, &link)
                .with_context(|| format!("linking {}", link.display()))?;
        }
    }
    let stubs = lib.join("stubs");
    sh.create_dir(&stubs)?;
    let include = cuda_home().join("include");
    let header = cmd!(sh, "gcc -E -P -I{include} -x c -").stdin("#include <cuda.h>\n").read()?;
    let mut names: Vec<&str> = header
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("cu") && w.chars().nth(2).is_some_and(|c| c.is_ascii_uppercase()))
        .collect();
    names.extend(["cuProfilerStart", "cuProfilerStop", "cuProfilerInitialize"]);
    names.sort_unstable();
    names.dedup();
    // Every entry point answers CUDA_ERROR_STUB_LIBRARY (34).
    let source: String =
        names.iter().map(|n| format!("int {n}(void) {{ return 34; }}\n")).collect();
    let stub = stubs.join("libcuda.so");
    cmd!(sh, "gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -x c -o {stub} -").stdin(source).run()?;
    let images = root().join("lib");
    sh.create_dir(&images)?;
    for versioned in RUNTIME_LIBRARIES {
        sh.copy_file(lib.join(versioned), &images)?;
    }
    Ok(())
}

/// `CUDA_HOME`, `PATH` with nvcc first, `NVCC` and `CUDA_COMPUTE_CAP`: as set,
/// else what `nvidia-smi` says of the first GPU, else 90 (Hopper). The kernels
/// are built for that one compute capability.
pub fn env() -> Vec<(&'static str, OsString)> {
    let home = cuda_home();
    let cap = std::env::var_os("CUDA_COMPUTE_CAP")
        .or_else(|| {
            let out = std::process::Command::new("nvidia-smi")
                .args(["--query-gpu=compute_cap", "--format=csv,noheader"])
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            let first = String::from_utf8(out.stdout).ok()?.lines().next()?.trim().replace('.', "");
            (!first.is_empty()).then(|| first.into())
        })
        .unwrap_or_else(|| "90".into());
    vec![
        ("CUDA_HOME", home.clone().into_os_string()),
        ("PATH", util::prepended("PATH", home.join("bin"))),
        ("NVCC", home.join("bin/nvcc").into_os_string()),
        ("CUDA_COMPUTE_CAP", cap),
    ]
}
