//! `gauntlet list`: the check catalog, as aligned columns or as the Markdown of
//! `CHECKS.md`.

use gauntlet::checks;

/// `gauntlet list` settings.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print it as the Markdown of CHECKS.md.
    #[arg(long)]
    markdown: bool,
}

/// Prints the catalog.
pub fn run(args: &Args) -> super::Result {
    super::print(&if args.markdown { checks::markdown() } else { listing() });
    Ok(())
}

/// The catalog as aligned columns: id, level, needs, description.
fn listing() -> String {
    checks::catalog()
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
        .collect()
}
