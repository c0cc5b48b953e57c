//! `gauntlet secrets`: 0 when nothing outside the allow-list looks like a
//! secret, 1 when something does, 2 when a path, an image or the allow-list
//! cannot be read.

use std::path::{Path, PathBuf};

use gauntlet::secrets::{AllowList, FileFinding, scan_files, scan_image_archive};

use super::Error;

/// `gauntlet secrets` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and folders (.git, target and models are skipped).
    #[arg(required_unless_present = "image")]
    paths: Vec<PathBuf>,
    /// Also scan this local image: every layer's text files, its
    /// configuration and manifests (repeatable).
    #[arg(long)]
    image: Vec<String>,
    /// Known test values: `PATH RULE` lines (`IMAGE:/path` for a file in an image).
    #[arg(long)]
    allow: Option<PathBuf>,
}

/// Scans the files and images and prints what looks like a secret.
pub fn run(args: &Args) -> super::Result {
    let allow = allow_list(args.allow.as_deref())?;
    let mut found = scan_files(&args.paths).map_err(|e| Error::Usage(e.to_string()))?;
    let summary = scan_images(&args.image, &mut found)?;
    let (allowed, flagged): (Vec<_>, Vec<_>) = found.iter().partition(|f| allow.allows(f));
    let mut out = String::new();
    for f in &flagged {
        out.push_str(&f.line());
        out.push('\n');
    }
    for entry in allow.unused(&found) {
        out.push_str(&format!("note: allow-list entry `{entry}` matched nothing\n"));
    }
    out.push_str(&summary);
    out.push_str(&format!(
        "{} finding(s), {} of them allowed as known test values\n",
        found.len(),
        allowed.len()
    ));
    super::print(&out);
    super::failed_if(!flagged.is_empty())
}

fn allow_list(path: Option<&Path>) -> Result<AllowList, Error> {
    let Some(path) = path else { return Ok(AllowList::default()) };
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("--allow: {e}")))?;
    AllowList::parse(&text).map_err(|e| Error::Usage(format!("--allow {}: {e}", path.display())))
}

/// Scans each image's layers into `found`; returns a summary line per image.
fn scan_images(images: &[String], found: &mut Vec<FileFinding>) -> Result<String, Error> {
    let mut summary = String::new();
    if images.is_empty() {
        return Ok(summary);
    }
    let engine = gauntlet::docker::Engine::locate()
        .map_err(|e| Error::Usage(format!("--image needs the Docker engine: {e}")))?;
    for image in images {
        let usage = |e: &dyn std::fmt::Display| Error::Usage(format!("--image {image}: {e}"));
        let archive = gauntlet::docker::export_image(&engine, image).map_err(|e| usage(&e))?;
        let scan = scan_image_archive(&archive, image).map_err(|e| usage(&e))?;
        summary.push_str(&format!(
            "image {image}: {} layer(s), {} text file(s) scanned, {} binary or over 4 MB not scanned\n",
            scan.layers, scan.scanned, scan.skipped
        ));
        found.extend(scan.findings);
    }
    Ok(summary)
}
