//! Small helpers shared by the subcommands.

use std::path::{Path, PathBuf};

/// The workspace root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Prints a progress line that stands out from the tools' own output.
pub fn say(msg: impl std::fmt::Display) {
    eprintln!("xtask: {msg}");
}
