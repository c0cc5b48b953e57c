//! `cargo xtask codegen`: rewrites the generated files. Tests fail when they are stale.

use xshell::{Shell, cmd};

use crate::{flags, util};

impl flags::Codegen {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        let catalog =
            cmd!(sh, "cargo run --quiet -p gauntlet-harness --bin gauntlet -- list --markdown")
                .read()?;
        sh.write_file("CHECKS.md", format!("{catalog}\n"))?;
        util::say("wrote CHECKS.md");
        Ok(())
    }
}
