//! `cargo xtask kind`: a throwaway kind cluster, the service image loaded into
//! it, the kube target run against it (reports under `target/validate/`), and
//! the cluster deleted at the end, also when the run fails. For people and CI
//! jobs that have kind; nothing else in the project needs it.

use anyhow::{Context, bail};
use xshell::{Shell, cmd};

use crate::flags::Kind;
use crate::{image, util};

impl Kind {
    pub fn run(&self, sh: &Shell) -> anyhow::Result<()> {
        for tool in ["kind", "kubectl", "docker"] {
            if cmd!(sh, "which {tool}").quiet().ignore_stdout().run().is_err() {
                bail!("`{tool}` is not installed: cargo xtask kind needs kind, kubectl and docker");
            }
        }
        if let Some(why) = image::docker_unreachable(sh) {
            bail!("{why}");
        }
        crate::model::ensure_model(sh, false)?;
        util::say("building the release binaries and the image");
        cmd!(sh, "cargo build --release --quiet --workspace --bins").run()?;
        image::build_release_image(sh)?;
        let name = self.name.clone().unwrap_or_else(|| format!("gauntlet-{}", std::process::id()));
        util::say(format!("creating the kind cluster {name}"));
        cmd!(sh, "kind create cluster --name {name} --wait 180s")
            .run()
            .context("kind create cluster")?;
        let cluster = Cluster { sh, name: name.clone(), keep: self.keep };
        cmd!(sh, "kind load docker-image gauntlet-service:dev --name {name}").run()?;
        sh.create_dir("target/validate")?;
        let context = format!("kind-{name}");
        util::say(format!("running the kube target on {context}"));
        let outcome = cmd!(
            sh,
            "target/release/gauntlet run --target kube={context} --image gauntlet-service:dev
             --json target/validate/kube.json --junit target/validate/kube.xml
             --markdown target/validate/kube.md"
        )
        .run();
        drop(cluster);
        outcome.context("the kube target failed (reports in target/validate/kube.*)")?;
        // The job exists to prove the service on a cluster: a report whose
        // kube checks did not pass (not applicable, left out) fails it.
        let report = sh.read_file("target/validate/kube.json")?;
        util::require_passed(&report, &["kube.rollout.complete", "kube.pods.stable"])
            .context("the kube target did not reach the kind cluster")
    }
}

/// Deletes the cluster when dropped, unless asked to keep it.
struct Cluster<'a> {
    sh: &'a Shell,
    name: String,
    keep: bool,
}

impl Drop for Cluster<'_> {
    fn drop(&mut self) {
        let (sh, name) = (self.sh, &self.name);
        if self.keep {
            util::say(format!(
                "keeping the kind cluster {name} (kind delete cluster --name {name})"
            ));
            return;
        }
        util::say(format!("deleting the kind cluster {name}"));
        let _ = cmd!(sh, "kind delete cluster --name {name}").run();
    }
}
