//! gauntlet's own image (`manifests/Dockerfile.harness`, what `cargo xtask
//! image --harness` builds from the release binary), built here from this
//! test's binary: FROM scratch, a non-root user, and the three ways the issue
//! asks it to work: on a mounted checkout's manifests, against a URL from
//! inside the container, and with the Docker socket mounted for
//! `--target container`.

use std::process::Command;

use gauntlet::target::{ProcessConfig, ProcessTarget};

use crate::common::{output, repo};

fn tag() -> String {
    format!("gauntlet-harness-test:{}", std::process::id())
}

fn build() {
    let dir = tempfile::tempdir().unwrap();
    gauntlet::image::build_harness(
        std::path::Path::new(env!("CARGO_BIN_EXE_gauntlet")),
        &repo("manifests/Dockerfile.harness"),
        &dir.path().join("context"),
        &[tag()],
    )
    .unwrap_or_else(|e| panic!("building the harness image: {e}"));
}

/// `docker run --rm <docker args> <image> <gauntlet args>`.
fn run(docker: &[&str], args: &[&str]) -> (Option<i32>, String) {
    output(Command::new("docker").args(["run", "--rm"]).args(docker).arg(tag()).args(args))
}

/// Whether the run's output shows the check passing.
fn passed(text: &str, check: &str) -> bool {
    text.lines().any(|l| l.contains(&format!(" {check} ")) && l.trim_end().ends_with("... ok"))
}

fn inspect(format: &str) -> String {
    let (code, text) =
        output(Command::new("docker").args(["image", "inspect", "--format", format, &tag()]));
    assert_eq!(code, Some(0), "{text}");
    text.trim().to_owned()
}

fn checks(docker: &[&str]) {
    // Non-root, from nothing: one layer set, no shell to run.
    assert_eq!(inspect("{{.Config.User}}"), "65532:65532");
    assert_eq!(inspect("{{json .Config.Entrypoint}}"), "[\"/usr/local/bin/gauntlet\"]");
    let (code, text) = run(&["--entrypoint", "/bin/sh"], &["-c", "true"]);
    assert_ne!(code, Some(0), "a shell ran in a scratch image: {text}");

    // A repository mounted at /work, its manifests in k8s/ (two of ours and
    // two real public ones): they pass; a removed API fails by name; a
    // kustomization needs kubectl, which the image lacks: exit 2 saying so.
    let work = tempfile::tempdir().unwrap();
    let k8s = work.path().join("k8s");
    std::fs::create_dir_all(k8s.join("bad")).unwrap();
    for file in [
        "good/pod.yaml",
        "good/gpu.yaml",
        "real/istio-gateway-hpa-pdb-golden.yaml",
        "real/kube-prometheus-alertmanager-pdb.yaml",
    ] {
        let name = file.rsplit('/').next().unwrap();
        std::fs::copy(repo(&format!("fixtures/manifests/{file}")), k8s.join(name)).unwrap();
    }
    std::fs::copy(
        repo("fixtures/manifests/bad/schema/removed-api.yaml"),
        k8s.join("bad/removed-api.yml"),
    )
    .unwrap();
    let mount = format!("{}:/work:ro", work.path().display());
    let at_work = ["-v", mount.as_str(), "-w", "/work", "--network", "none"];
    let (code, text) = run(
        &at_work,
        &[
            "manifests",
            "k8s/pod.yaml",
            "k8s/gpu.yaml",
            "k8s/istio-gateway-hpa-pdb-golden.yaml",
            "k8s/kube-prometheus-alertmanager-pdb.yaml",
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("0 error(s)"), "{text}");
    let (code, text) = run(&at_work, &["manifests", "k8s/"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("api.removed"), "{text}");
    let checkout = format!("{}:/work:ro", repo(".").display());
    let (code, text) = run(
        &["-v", &checkout, "-w", "/work", "--network", "none"],
        &["manifests", "manifests/k8s/base"],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("needs kubectl"), "{text}");

    // --target url= from inside the container, against the service on the host.
    let config = ProcessConfig::locate().unwrap_or_else(|e| panic!("{e}"));
    let service = ProcessTarget::start(&config).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("url={}", gauntlet::target::Private::base_url(&service));
    let (code, text) = run(&["--network", "host"], &["run", "--target", &url, "--", "api."]);
    assert_eq!(code, Some(0), "{text}");
    assert!(passed(&text, "api.info.schema"), "{text}");
    // And a URL nothing answers at fails, never passes.
    let (code, text) =
        run(&["--network", "none"], &["run", "--target", &url, "--", "api.info.schema"]);
    assert!(matches!(code, Some(1 | 2)), "{text}");
    drop(service);

    // The Docker socket mounted, with its group: --target container starts
    // the reference image beside this one and runs a check against it. Its
    // sweep of dead runs' containers must leave a live run on the host alone,
    // though the host's process ids mean nothing in the container's PID
    // namespace (it once removed the containers of trials running beside it).
    let mut label = vec!["create".to_owned()];
    for (key, value) in gauntlet::run::labels() {
        label.extend(["--label".to_owned(), format!("{key}={value}")]);
    }
    let (code, created) = output(Command::new("docker").args(&label).arg(tag()));
    assert_eq!(code, Some(0), "{created}");
    let host_run = created
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no container id from docker create: {created}"))
        .to_owned();
    let (code, text) = run(docker, &["run", "--target", "container", "--", "api.info.schema"]);
    let (kept, _) = output(Command::new("docker").args(["container", "inspect", &host_run]));
    let _ = Command::new("docker").args(["rm", "--force", &host_run]).output();
    assert_eq!(code, Some(0), "{text}");
    assert!(passed(&text, "api.info.schema"), "{text}");
    assert_eq!(kept, Some(0), "the in-container run swept a live host run's container: {text}");
    // Without the socket's group the user cannot reach the engine (where the
    // socket is not open to everyone): exit 2 and why, never a pass.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata("/var/run/docker.sock").unwrap().permissions(),
    );
    if mode & 0o006 == 0 {
        let no_group: Vec<&str> = docker.iter().copied().take(4).collect();
        let (code, text) =
            run(&no_group, &["run", "--target", "container", "--", "api.info.schema"]);
        assert_eq!(code, Some(2), "{text}");
    }
}

pub fn gauntlet_runs_from_its_own_image() {
    build();
    let socket = "/var/run/docker.sock";
    let gid = std::os::unix::fs::MetadataExt::gid(&std::fs::metadata(socket).unwrap()).to_string();
    let mount = format!("{socket}:{socket}");
    let docker = ["--network", "host", "-v", &mount, "--group-add", &gid];
    let result = std::panic::catch_unwind(|| checks(&docker));
    let _ = Command::new("docker").args(["image", "rm", "--force", &tag()]).output();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
