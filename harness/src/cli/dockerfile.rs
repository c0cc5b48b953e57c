//! `gauntlet dockerfile`: 0 when every Dockerfile follows every rule, 1 when
//! one does not, 2 when one cannot be read.

use std::path::PathBuf;

use super::Error;

/// `gauntlet dockerfile` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The Dockerfiles.
    #[arg(required_unless_present = "rules")]
    paths: Vec<PathBuf>,
    /// Print the rules and exit.
    #[arg(long)]
    rules: bool,
}

/// Checks the Dockerfiles, or prints the rules.
pub fn run(args: &Args) -> super::Result {
    let mut out = String::new();
    if args.rules {
        for (id, description) in gauntlet::dockerfile::RULES {
            out.push_str(&format!("{id:<28} {description}\n"));
        }
        super::print(&out);
        return Ok(());
    }
    let mut findings = Vec::new();
    for path in &args.paths {
        let found = gauntlet::dockerfile::check_file(path)
            .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        findings.extend(found);
    }
    for finding in &findings {
        out.push_str(&finding.line());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} Dockerfile(s) checked: {} finding(s)\n",
        args.paths.len(),
        findings.len()
    ));
    super::print(&out);
    super::failed_if(!findings.is_empty())
}
