//! `cargo xtask`: the project's automation, one module per subcommand.

mod bench;
mod bench_manifests;
mod codegen;
mod cuda_toolkit;
mod flags;
mod gpu;
mod image;
mod kind;
mod kube_schemas;
mod model;
mod peers;
mod test;
#[cfg(test)]
mod tidy;
mod tools;
mod util;
mod validate;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let flags = flags::Xtask::parse();
    let sh = xshell::Shell::new()?;
    sh.change_dir(util::project_root());
    match flags.command {
        flags::Command::Validate(cmd) => cmd.run(&sh),
        flags::Command::Test(cmd) => cmd.run(&sh),
        flags::Command::Model(cmd) => cmd.run(&sh),
        flags::Command::Image(cmd) => cmd.run(&sh),
        flags::Command::Bench(cmd) => cmd.run(&sh),
        flags::Command::Kind(cmd) => cmd.run(&sh),
        flags::Command::CudaToolkit(cmd) => cmd.run(&sh),
        flags::Command::Gpu(cmd) => cmd.run(&sh),
        flags::Command::Codegen(cmd) => cmd.run(&sh),
        flags::Command::Peers(cmd) => cmd.run(&sh),
        flags::Command::Baseline(cmd) => cmd.run(&sh),
    }
}
