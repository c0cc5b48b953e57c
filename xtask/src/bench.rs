//! `cargo xtask bench`: benchmarks measured side by side with their peers.

use xshell::Shell;

use crate::flags;

impl flags::Bench {
    pub fn run(&self, _sh: &Shell) -> anyhow::Result<()> {
        anyhow::bail!("bench {:?} is not written yet", self.what)
    }
}
