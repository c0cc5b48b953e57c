//! Building the service image: a build context assembled from the `gauntlet-service`
//! binary (stripped), exactly the shared libraries it links and the model files,
//! built `FROM scratch` with `manifests/Dockerfile` through the docker CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The image name the harness builds and the container target starts by default.
pub const NAME: &str = "gauntlet-service";
/// The tag the container target starts when none is given.
pub const DEV_TAG: &str = "dev";
/// The model files the service reads; nothing else of the model folder goes in.
pub const MODEL_FILES: &[&str] = &[
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
];

/// What to build.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// The `gauntlet-service` binary.
    pub binary: PathBuf,
    /// The model folder.
    pub model_dir: PathBuf,
    /// The Dockerfile (`manifests/Dockerfile`).
    pub dockerfile: PathBuf,
    /// Where the build context is assembled (emptied first).
    pub context_dir: PathBuf,
    /// Full references to tag, e.g. `gauntlet-service:0.1.0`.
    pub tags: Vec<String>,
    /// `org.opencontainers.image.version`.
    pub version: String,
    /// `org.opencontainers.image.revision` (a commit).
    pub revision: String,
    /// `org.opencontainers.image.created` (RFC 3339).
    pub created: String,
    /// Libraries copied into the context's `cuda/` (the GPU image's CUDA
    /// libraries that no driver ships); empty for the CPU image.
    pub cuda_libraries: Vec<PathBuf>,
}

/// Why an image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the image needs is missing.
    #[error("{0}")]
    Missing(String),
    /// Reading or writing the build context failed.
    #[error("assembling the build context in {path}: {source}")]
    Context {
        /// The file or folder involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A tool (ldd, strip, docker) failed.
    #[error("{tool}: {message}")]
    Tool {
        /// The program.
        tool: &'static str,
        /// What it said.
        message: String,
    },
}

/// Result of image work.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The checkout the service image is built from.
fn checkout() -> Result<PathBuf> {
    crate::run::source_checkout().ok_or_else(|| {
        Error::Missing(
            "the service image is built from a gauntlet source checkout (its manifests/Dockerfile): \
             run this inside one"
                .into(),
        )
    })
}

impl ImageSpec {
    /// The reference service's image for this checkout: the binary beside the
    /// running executable (or `GAUNTLET_SERVICE_BIN`), the workspace's model (or
    /// `GAUNTLET_MODEL_DIR`), tagged `gauntlet-service:dev`, the context under
    /// `target/image/context`.
    pub fn for_checkout(binary: PathBuf, model_dir: PathBuf) -> Result<Self> {
        let root = checkout()?;
        Ok(Self {
            binary,
            model_dir,
            dockerfile: root.join("manifests/Dockerfile"),
            context_dir: root.join("target/image/context"),
            tags: vec![format!("{NAME}:{DEV_TAG}")],
            version: env!("CARGO_PKG_VERSION").to_owned(),
            revision: git_revision(&root),
            created: created_now(),
            cuda_libraries: Vec::new(),
        })
    }

    /// The GPU image (`manifests/Dockerfile.gpu`, tagged `gauntlet-service:gpu`
    /// and, as the gpu overlay names it, `gauntlet-service-cuda:<version>`)
    /// around a CUDA build of the service, with every `lib*.so*` file (not link)
    /// in `cuda_libs`.
    pub fn for_gpu(binary: PathBuf, model_dir: PathBuf, cuda_libs: &Path) -> Result<Self> {
        let root = checkout()?;
        let entries = std::fs::read_dir(cuda_libs).map_err(|e| {
            Error::Missing(format!(
                "{}: {e} (run `cargo xtask cuda-toolkit`, or name the folder with cuBLAS and cuRAND)",
                cuda_libs.display()
            ))
        })?;
        let mut cuda_libraries: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("lib") && n.contains(".so"))
            })
            .collect();
        cuda_libraries.sort();
        if cuda_libraries.is_empty() {
            return Err(Error::Missing(format!("{} holds no lib*.so* file", cuda_libs.display())));
        }
        Ok(Self {
            dockerfile: root.join("manifests/Dockerfile.gpu"),
            context_dir: root.join("target/image/context-gpu"),
            tags: vec![format!("{NAME}:gpu"), format!("{NAME}-cuda:{}", env!("CARGO_PKG_VERSION"))],
            cuda_libraries,
            ..Self::for_checkout(binary, model_dir)?
        })
    }
}

/// Assembles the context and builds the image; returns the image id.
///
/// When every tag already names an image built from the same inputs (binary,
/// model files, Dockerfile, version and revision, by size, modification time and
/// content), nothing is rebuilt and that image's id is returned.
pub fn build(spec: &ImageSpec) -> Result<String> {
    let inputs = fingerprint(spec)?;
    if let Some(id) = built_from(spec, &inputs) {
        return Ok(id);
    }
    assemble(spec)?;
    docker_build(
        &spec.dockerfile,
        &spec.context_dir,
        &spec.tags,
        [&spec.version, &spec.revision, &spec.created],
        Some(&format!("{INPUTS_LABEL}={inputs}")),
    )
}

/// `docker build --quiet` of `context_dir` with `dockerfile`, the build
/// arguments VERSION, REVISION and CREATED, an optional label and the tags;
/// returns the image id.
fn docker_build(
    dockerfile: &Path,
    context_dir: &Path,
    tags: &[String],
    [version, revision, created]: [&str; 3],
    label: Option<&str>,
) -> Result<String> {
    let mut docker = Command::new("docker");
    docker.arg("build").arg("--quiet").arg("--file").arg(dockerfile);
    if let Some(label) = label {
        docker.arg("--label").arg(label);
    }
    for (name, value) in [("VERSION", version), ("REVISION", revision), ("CREATED", created)] {
        docker.arg("--build-arg").arg(format!("{name}={value}"));
    }
    for tag in tags {
        docker.arg("--tag").arg(tag);
    }
    docker.arg(context_dir);
    Ok(run("docker", &mut docker)?.trim().to_owned())
}

/// The label holding the fingerprint of what an image was built from.
pub const INPUTS_LABEL: &str = "gauntlet.inputs";

/// A fingerprint of the build's inputs: files by size and modification time, the
/// Dockerfile, version and revision by content.
fn fingerprint(spec: &ImageSpec) -> Result<String> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let files = std::iter::once(spec.binary.clone())
        .chain(MODEL_FILES.iter().map(|f| spec.model_dir.join(f)))
        .chain(spec.cuda_libraries.iter().cloned());
    for file in files {
        let meta = std::fs::metadata(&file)
            .map_err(|_| Error::Missing(format!("{} is missing", file.display())))?;
        file.hash(&mut hasher);
        meta.len().hash(&mut hasher);
        meta.modified().ok().hash(&mut hasher);
    }
    std::fs::read(&spec.dockerfile)
        .map_err(|source| Error::Context { path: spec.dockerfile.clone(), source })?
        .hash(&mut hasher);
    (&spec.version, &spec.revision).hash(&mut hasher);
    Ok(format!("{:016x}", hasher.finish()))
}

/// The id of the image every tag of `spec` names, if all name one image built
/// from `inputs`.
fn built_from(spec: &ImageSpec, inputs: &str) -> Option<String> {
    let mut ids = spec.tags.iter().map(|tag| {
        let format = format!("{{{{index .Config.Labels \"{INPUTS_LABEL}\"}}}} {{{{.Id}}}}");
        let out = run(
            "docker",
            Command::new("docker").args(["image", "inspect", "--format", &format, tag]),
        )
        .ok()?;
        let (label, id) = out.trim().split_once(' ')?;
        (label == inputs).then(|| id.to_owned())
    });
    let first = ids.next()??;
    ids.all(|id| id.as_deref() == Some(&first)).then_some(first)
}

/// Writes the build context: `gauntlet-service` (stripped), `rootfs/` with the
/// shared libraries at their paths, `model/` with [`MODEL_FILES`].
pub fn assemble(spec: &ImageSpec) -> Result<()> {
    let ctx = &spec.context_dir;
    if !spec.binary.is_file() {
        return Err(Error::Missing(format!(
            "no service binary at {}: build it with `cargo build --release -p gauntlet-service`",
            spec.binary.display()
        )));
    }
    if ctx.exists() {
        std::fs::remove_dir_all(ctx)
            .map_err(|source| Error::Context { path: ctx.clone(), source })?;
    }
    create_dir(ctx)?;
    let binary = ctx.join("gauntlet-service");
    run(
        "strip",
        Command::new("strip").arg("--strip-all").arg("-o").arg(&binary).arg(&spec.binary),
    )?;
    for library in shared_libraries(&spec.binary)? {
        if injected_by_the_runtime(&library) {
            continue;
        }
        let inside = ctx.join("rootfs").join(library.strip_prefix("/").unwrap_or(&library));
        copy(&library, &inside)?;
    }
    for file in MODEL_FILES {
        let from = spec.model_dir.join(file);
        if !from.is_file() {
            return Err(Error::Missing(format!(
                "the model lacks {}: run `cargo xtask model`",
                from.display()
            )));
        }
        copy(&from, &ctx.join("model").join(file))?;
    }
    // Always present: Dockerfile.gpu copies it, empty or not.
    create_dir(&ctx.join("cuda"))?;
    for library in &spec.cuda_libraries {
        let name = library.file_name().unwrap_or_default();
        copy(library, &ctx.join("cuda").join(name))?;
    }
    Ok(())
}

/// Whether `library` is one the NVIDIA container runtime mounts from the host's
/// driver (libcuda, NVML and the rest of `libnvidia-*`): baking the build
/// host's copy in would pin the image to that driver.
pub fn injected_by_the_runtime(library: &Path) -> bool {
    let name = library.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.starts_with("libcuda.so") || name.starts_with("libnvidia-")
}

/// The shared libraries `binary` loads, with the loader, as `ldd` resolves them
/// (the vDSO, which lives in the kernel, left out).
pub fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let out = run("ldd", Command::new("ldd").arg(binary))?;
    Ok(parse_ldd(&out))
}

/// The absolute paths in `ldd` output.
pub fn parse_ldd(out: &str) -> Vec<PathBuf> {
    out.lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, resolved)) => resolved.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

fn git_revision(root: &Path) -> String {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// Now as RFC 3339 UTC, or `SOURCE_DATE_EPOCH` when set (reproducible builds).
fn created_now() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    rfc3339(seconds)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// gauntlet's own image (`manifests/Dockerfile.harness`), `FROM scratch` like
/// the service's: the stripped `gauntlet` binary, the libraries ldd names at
/// their paths, the build host's CA bundle (for https targets), an /etc/passwd
/// and /etc/group naming the non-root user 65532, and a /tmp anyone may write.
/// Returns the image id.
pub fn build_harness(
    binary: &Path,
    dockerfile: &Path,
    context_dir: &Path,
    tags: &[String],
) -> Result<String> {
    if !binary.is_file() {
        return Err(Error::Missing(format!("no gauntlet binary at {}", binary.display())));
    }
    let context = |source| Error::Context { path: context_dir.to_owned(), source };
    if context_dir.exists() {
        std::fs::remove_dir_all(context_dir).map_err(context)?;
    }
    let rootfs = context_dir.join("rootfs");
    create_dir(&rootfs.join("etc/ssl/certs"))?;
    run(
        "strip",
        Command::new("strip")
            .arg("--strip-all")
            .arg("-o")
            .arg(context_dir.join("gauntlet"))
            .arg(binary),
    )?;
    for library in shared_libraries(binary)? {
        copy(&library, &rootfs.join(library.strip_prefix("/").unwrap_or(&library)))?;
    }
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.is_file() {
        copy(bundle, &rootfs.join("etc/ssl/certs/ca-certificates.crt"))?;
    }
    for (file, text) in [
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/sbin/nologin\ngauntlet:x:65532:65532:gauntlet:/work:/sbin/nologin\n",
        ),
        ("etc/group", "root:x:0:\ngauntlet:x:65532:\n"),
    ] {
        std::fs::write(rootfs.join(file), text).map_err(context)?;
    }
    // /tmp, and /work (the working folder) for whatever user runs it.
    for dir in ["tmp", "work"] {
        create_dir(&rootfs.join(dir))?;
        std::fs::set_permissions(
            rootfs.join(dir),
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )
        .map_err(context)?;
    }
    let root = dockerfile.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    let (revision, created) = (git_revision(root), created_now());
    docker_build(
        dockerfile,
        context_dir,
        tags,
        [env!("CARGO_PKG_VERSION"), &revision, &created],
        None,
    )
}

fn run(tool: &'static str, command: &mut Command) -> Result<String> {
    let out = command
        .output()
        .map_err(|e| Error::Tool { tool, message: format!("could not run it: {e}") })?;
    if !out.status.success() {
        return Err(Error::Tool {
            tool,
            message: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| Error::Context { path: path.to_owned(), source })
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    std::fs::copy(from, to).map_err(|source| Error::Context { path: from.to_owned(), source })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_gives_libraries_and_loader_but_not_the_vdso() {
        let out = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                   \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f87)\n\
                   \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f86)\n\
                   \t/lib64/ld-linux-x86-64.so.2 (0x00007f87)\n";
        assert_eq!(
            parse_ldd(out),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libgcc_s.so.1"),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2"),
            ]
        );
    }

    #[test]
    fn the_drivers_libraries_stay_out_of_the_image() {
        assert!(injected_by_the_runtime(Path::new("/lib/x86_64-linux-gnu/libcuda.so.1")));
        assert!(injected_by_the_runtime(Path::new("/usr/lib/libnvidia-ml.so.1")));
        assert!(!injected_by_the_runtime(Path::new("/usr/local/cuda/lib64/libcublas.so.13")));
        assert!(!injected_by_the_runtime(Path::new("/lib/x86_64-linux-gnu/libc.so.6")));
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_478_400 + 3_661), "2026-11-24T01:01:01Z");
    }
}
