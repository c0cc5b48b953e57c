//! The gauntlet binary is self-contained: in a container built `FROM scratch`
//! holding only the binary (with the shared libraries it links, at the paths
//! the loader looks in, as the service image holds them), two manifests and a
//! profile, it validates every supported Kubernetes version, lists the checks
//! and loads a built-in and a user profile. Nothing of the checkout it was
//! built in exists there.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::repo;

const TAG: &str = "gauntlet-scratch-test:self-contained";

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("{} → {}: {e}", from.display(), to.display()));
}

/// Builds the image; its context is a folder holding nothing of the checkout's layout.
fn build() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_gauntlet"));
    let dir = tempfile::tempdir().unwrap();
    let context = dir.path();
    for library in gauntlet::image::shared_libraries(&binary).unwrap() {
        copy(&library, &context.join("rootfs").join(library.strip_prefix("/").unwrap()));
    }
    copy(&binary, &context.join("gauntlet"));
    copy(&repo("fixtures/manifests/good/replicated.yaml"), &context.join("work/ok.yaml"));
    let crd =
        std::fs::read_to_string(repo("fixtures/manifests/crd/same-file-invalid.yaml")).unwrap();
    let removed =
        std::fs::read_to_string(repo("fixtures/manifests/bad/schema/removed-api.yaml")).unwrap();
    std::fs::write(context.join("work/bad.yaml"), format!("{crd}---\n{removed}")).unwrap();
    std::fs::write(
        context.join("work/team.yaml"),
        "name: team\ndescription: a user's profile\ninclude: [probe.]\nmanifests: k8s\n",
    )
    .unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nCOPY rootfs/ /\nCOPY gauntlet /gauntlet\nCOPY work/ /work/\n\
         USER 65532:65532\nWORKDIR /work\nENTRYPOINT [\"/gauntlet\"]\n",
    )
    .unwrap();
    let out = Command::new("docker")
        .args(["build", "--quiet", "--tag", TAG])
        .arg(context)
        .output()
        .unwrap();
    assert!(out.status.success(), "docker build: {}", String::from_utf8_lossy(&out.stderr));
}

/// `gauntlet args...` in the container, with no network: exit code and output.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new("docker")
        .args(["run", "--rm", "--network", "none", "--read-only", TAG])
        .args(args)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

pub fn the_binary_works_alone_in_a_scratch_container() {
    build();
    let result = std::panic::catch_unwind(|| {
        for version in ["1.25", "1.31", "1.37"] {
            let (code, text) =
                run(&["manifests", "--strict", "--kubernetes-version", version, "ok.yaml"]);
            assert_eq!(code, Some(0), "{version}: {text}");
            assert!(text.contains(&format!("against Kubernetes {version}")), "{text}");
        }
        let (code, text) = run(&["manifests", "bad.yaml"]);
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains("Widget/bad /spec/size: schema.invalid"), "{text}");
        assert!(
            text.contains("api.removed: policy/v1beta1 PodDisruptionBudget was removed"),
            "{text}"
        );
        let (code, text) = run(&["list"]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.lines().count() >= 50 && text.contains("probe.ready"), "{text}");
        let (code, text) = run(&["list", "--profile", "openai-compatible"]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("profile openai-compatible:"), "{text}");
        let (code, text) = run(&["list", "--profile", "team.yaml"]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("profile team:") && !text.contains("api."), "{text}");
        let (code, text) = run(&["manifests", "--kubernetes-version", "1.24", "ok.yaml"]);
        assert_eq!(code, Some(2), "{text}");
    });
    let _ = Command::new("docker").args(["image", "rm", "--force", TAG]).output();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
