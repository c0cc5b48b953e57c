//! `cargo xtask test`: the model first, then every test in the workspace, closing
//! with one line that totals all the test binaries; then the CUDA build of the
//! service is checked (`cargo check --features cuda`, with nvcc from
//! `cargo xtask cuda-toolkit`) so the GPU path cannot rot on machines without a
//! GPU. `--no-cuda` leaves that out.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use xshell::Shell;

use crate::{cuda_toolkit, flags, model, util};

impl flags::Test {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        model::ensure_model(sh, false)?;
        util::say("cargo test --workspace --all-targets");
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        if !self.rest.is_empty() {
            // A filter meant for one test binary matches nothing in the
            // conformance suite, which would fail as having verified nothing.
            command.env("GAUNTLET_ALLOW_EMPTY", "1");
        }
        let mut child = command
            .current_dir(util::project_root())
            .args(["test", "--workspace", "--all-targets", "--"])
            .args(&self.rest)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting cargo test")?;
        let mut totals = Totals::default();
        for line in BufReader::new(child.stdout.take().context("piped stdout")?).lines() {
            let line = line?;
            println!("{line}");
            totals.add(&line);
        }
        let status = child.wait()?;
        println!(
            "\ntotal: {} passed, {} failed, {} skipped",
            totals.passed, totals.failed, totals.ignored
        );
        if !status.success() {
            bail!("cargo test failed");
        }
        if totals.passed == 0 {
            bail!("no test ran");
        }
        if self.no_cuda || !self.rest.is_empty() {
            util::say("the CUDA build was not checked (--no-cuda, or a filtered run)");
            return Ok(());
        }
        check_cuda_build(sh)
    }
}

/// `cargo check -p gauntlet-service --features cuda`: candle's CUDA kernels
/// compiled by nvcc (for `CUDA_COMPUTE_CAP`, 90 unless set) and every CUDA
/// code path type-checked. Linking needs the CUDA libraries and a driver's
/// libcuda; `cargo xtask gpu` does that on a GPU host.
fn check_cuda_build(sh: &Shell) -> anyhow::Result<()> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        util::say(
            "the CUDA build was not checked: NVIDIA's toolkit wheels are pinned for x86-64 Linux",
        );
        return Ok(());
    }
    cuda_toolkit::ensure(sh, false)?;
    let _env: Vec<_> = cuda_toolkit::env().into_iter().map(|(k, v)| sh.push_env(k, v)).collect();
    util::say("cargo check -p gauntlet-service --features cuda");
    let started = std::time::Instant::now();
    xshell::cmd!(sh, "cargo check --quiet -p gauntlet-service --features cuda")
        .run()
        .context("the CUDA build of the service no longer compiles")?;
    util::say(format_args!("the CUDA build compiles ({:.0}s)", started.elapsed().as_secs_f64()));
    Ok(())
}

/// Sums libtest's `test result:` lines.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Totals {
    fn add(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else { return };
        for part in rest.split(['.', ';']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next()) {
                let Ok(n) = n.parse::<u64>() else { continue };
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Totals;

    #[test]
    fn result_lines_are_summed() {
        let mut t = Totals::default();
        t.add("test result: ok. 25 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        t.add("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1s");
        t.add("running 5 tests");
        assert_eq!(t, Totals { passed: 28, failed: 2, ignored: 1 });
    }
}
