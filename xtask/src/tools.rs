//! Tools a fresh machine lacks (cargo-deny, cargo-cyclonedx), installed once with
//! `cargo install --locked` at a pinned version into the project-local root
//! `target/tools/`, never into the user's `~/.cargo`.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::util;

/// A cargo subcommand installed from crates.io.
pub struct Tool {
    /// The crate, which is also the binary.
    pub name: &'static str,
    /// The pinned version.
    pub version: &'static str,
    /// What it is for, for the message shown while it installs.
    pub purpose: &'static str,
}

pub const CARGO_DENY: Tool =
    Tool { name: "cargo-deny", version: "0.20.2", purpose: "licences, bans, sources, advisories" };
pub const CARGO_CYCLONEDX: Tool =
    Tool { name: "cargo-cyclonedx", version: "0.5.9", purpose: "the CycloneDX SBOM" };

/// The install root.
pub fn root() -> PathBuf {
    util::project_root().join("target/tools")
}

/// `PATH` with `target/tools/bin` first, so `cargo deny` finds the installed binary.
pub fn path_env() -> OsString {
    util::prepended("PATH", root().join("bin"))
}

impl Tool {
    /// Installs the tool unless the pinned version is already there.
    pub fn ensure(&self, sh: &Shell) -> anyhow::Result<()> {
        let binary = root().join("bin").join(self.name);
        let version = self.version;
        if binary.exists() {
            // Asked as cargo asks a subcommand: `cargo-x x --version`.
            let sub = self.name.trim_start_matches("cargo-");
            let said = cmd!(sh, "{binary} {sub} --version").quiet().ignore_stderr().read();
            if said.is_ok_and(|s| s.contains(version)) {
                return Ok(());
            }
        }
        util::say(format_args!(
            "installing {} {version} ({}) into target/tools with `cargo install --locked`: once, a few minutes",
            self.name, self.purpose
        ));
        let (name, root, build) = (self.name, root(), root().join("build"));
        cmd!(sh, "cargo install --locked --quiet --version {version} --root {root} --target-dir {build} {name}")
            .run()
            .with_context(|| format!("installing {name} {version} from crates.io"))?;
        Ok(())
    }
}
