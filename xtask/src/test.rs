//! `cargo xtask test`: the model first, then every test in the workspace.

use xshell::{Shell, cmd};

use crate::{flags, model, util};

impl flags::Test {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        model::ensure_model(sh, false)?;
        let rest = &self.rest;
        util::say("cargo test --workspace");
        cmd!(sh, "cargo test --workspace --all-targets -- {rest...}").run()?;
        Ok(())
    }
}
