//! The image family on real images: the reference image passes every image
//! check, and images built `FROM` it with one fault each (in
//! `fixtures/images/broken/`) fail the check that fault breaks. The images are
//! read, never run (the `image` target).

use std::process::Command;

use gauntlet::target::ImageTarget;
use gauntlet::{Family, Outcome, Profile, checks};

use crate::common::{gauntlet, repo};
use crate::containers::build_image;

/// Builds `fixtures/images/broken/<fault>` as `gauntlet-broken:<fault>`.
fn build_broken(fault: &str) -> String {
    let dir = repo("fixtures/images/broken").join(fault);
    let reference = format!("gauntlet-broken:{fault}");
    let out = Command::new("docker")
        .arg("build")
        .arg("--quiet")
        .arg("--tag")
        .arg(&reference)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{fault}: {}", String::from_utf8_lossy(&out.stderr));
    reference
}

fn judge(id: &str, reference: &str, profile: &Profile) -> Outcome {
    let engine = gauntlet::docker::connect().unwrap_or_else(|e| panic!("{e}"));
    let target = ImageTarget::open(&engine, reference).unwrap_or_else(|e| panic!("{e}"));
    let check = checks::catalog().into_iter().find(|c| c.id == id).unwrap();
    check.judge(&target, profile)
}

pub fn the_reference_image_passes_every_image_check() {
    build_image();
    for check in checks::catalog().iter().filter(|c| c.family == Family::Image) {
        match judge(check.id, "gauntlet-service:dev", &crate::common::reference()) {
            Outcome::Pass(_) => {}
            other => panic!("{}: {other:?}", check.id),
        }
    }
}

pub fn each_broken_image_fails_its_check() {
    build_image();
    let cases = [
        ("root", "image.user.non-root", "user 0"),
        ("shell-entrypoint", "image.entrypoint.no-shell", "runs a shell"),
        ("missing-entrypoint", "image.entrypoint.no-shell", "does not exist in the image"),
        ("extra-port", "image.port.matches", "9090/tcp"),
        ("no-healthcheck", "image.healthcheck.present", "HEALTHCHECK NONE"),
        ("unlabelled", "image.labels.oci", "org.opencontainers.image.revision"),
        ("secret-env", "image.secrets.none", "DB_PASSWORD=hunt"),
    ];
    for (fault, id, says) in cases {
        let reference = build_broken(fault);
        match judge(id, &reference, &crate::common::reference()) {
            Outcome::Fail(m) => assert!(m.contains(says), "{fault}: `{m}` should say `{says}`"),
            other => panic!("{id} should fail on {fault}: {other:?}"),
        }
    }
}

pub fn an_image_over_budget_fails_the_size_check() {
    build_image();
    let mut profile = crate::common::reference();
    profile.thresholds.image_size = 50_000_000;
    match judge("image.size.budget", "gauntlet-service:dev", &profile) {
        Outcome::Fail(m) => assert!(m.contains("over the budget of 50.0 MB"), "{m}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn gauntlet_secrets(args: &[&str]) -> (Option<i32>, String) {
    gauntlet(&[&["secrets"], args].concat())
}

pub fn the_reference_images_layers_hold_no_secret() {
    build_image();
    let (code, text) = gauntlet_secrets(&["--image", "gauntlet-service:dev"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("image gauntlet-service:dev: "), "{text}");
    assert!(text.contains("0 finding(s)"), "{text}");
}

pub fn a_key_baked_into_a_layer_is_found_by_path() {
    // Built here rather than kept as a fixture, so the repository holds no key.
    let dir = tempfile::tempdir().unwrap();
    let key = ["-----BEGIN OPENSSH ", "PRIVATE KEY-----"].concat();
    std::fs::write(dir.path().join("id"), format!("{key}\nb3BlbnNzaC1rZXk\n")).unwrap();
    std::fs::write(dir.path().join("app.env"), "PORT=8080\n").unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY app.env /etc/app.env\nCOPY id /root/.ssh/id\n",
    )
    .unwrap();
    let reference = "gauntlet-broken:layer-secret";
    let out = Command::new("docker")
        .args(["build", "--quiet", "--tag", reference])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, text) = gauntlet_secrets(&["--image", reference]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("gauntlet-broken:layer-secret:/root/.ssh/id:1: private-key"), "{text}");
    assert!(text.contains("2 layer(s)"), "{text}");
    let allow = dir.path().join("allow");
    std::fs::write(&allow, "gauntlet-broken:layer-secret:/root/.ssh/id private-key\n").unwrap();
    let (code, text) =
        gauntlet_secrets(&["--image", reference, "--allow", allow.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = gauntlet_secrets(&["--image", "gauntlet-broken:no-such-image"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--image gauntlet-broken:no-such-image"), "{text}");
}
