//! `gauntlet list`: the check catalog, as aligned columns or as the Markdown of
//! `CHECKS.md`; with `--profile`, the checks that profile runs.

use gauntlet::{Profile, checks};

use super::Error;

/// `gauntlet list` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print it as the Markdown of CHECKS.md.
    #[arg(long)]
    markdown: bool,
    /// Only the checks this profile (a built-in name or a YAML file) runs.
    #[arg(long, conflicts_with = "markdown")]
    profile: Option<String>,
}

/// Prints the catalog.
pub fn run(args: &Args) -> super::Result {
    if args.markdown {
        super::print(&checks::markdown());
        return Ok(());
    }
    let profile = match &args.profile {
        Some(spec) => Some(Profile::load(spec).map_err(|e| Error::Usage(e.to_string()))?),
        None => None,
    };
    super::print(&listing(profile.as_ref()));
    Ok(())
}

/// The catalog as aligned columns: id, level, needs, description; under a
/// profile, the checks it selects, then a line naming it.
fn listing(profile: Option<&Profile>) -> String {
    let catalog = checks::catalog();
    let selected: Vec<_> =
        catalog.iter().filter(|c| profile.is_none_or(|p| p.selects(c.id))).collect();
    let mut out: String = selected
        .iter()
        .map(|c| {
            let needs: Vec<&str> = c.needs.iter().map(|n| n.name()).collect();
            format!(
                "{:<28} {:<6} {:<40} {}\n",
                c.id,
                c.level.name(),
                needs.join(","),
                c.description
            )
        })
        .collect();
    if let Some(profile) = profile {
        out.push_str(&format!(
            "profile {}: {} of {} checks\n",
            profile.name,
            selected.len(),
            catalog.len()
        ));
    }
    out
}
