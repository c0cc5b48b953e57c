//! `cargo xtask test`: the model first, then every test in the workspace, closing
//! with one line that totals all the test binaries.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use xshell::Shell;

use crate::{flags, model, util};

impl flags::Test {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        model::ensure_model(sh, false)?;
        util::say("cargo test --workspace --all-targets");
        let mut child = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
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
        Ok(())
    }
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
