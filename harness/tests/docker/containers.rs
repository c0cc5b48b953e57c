//! The container target's housekeeping on the real Docker engine: every
//! container a run creates is labelled and gone when the run ends, whether a
//! check failed, the run was interrupted, or it was killed (then the next run
//! sweeps it).

use std::process::{Child, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use gauntlet::docker::{self, Engine};
use gauntlet::run::PID_LABEL;

use crate::common::{command, gauntlet as gauntlet_output};

/// Builds `gauntlet-service:dev` from the binary under test, once.
pub fn build_image() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        let (code, text) = gauntlet_output(&["image"]);
        assert_eq!(code, Some(0), "gauntlet image: {text}");
    });
}

fn gauntlet(args: &[&str]) -> Child {
    command().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Containers (running or not) created by the harness process `pid`.
fn containers_of(engine: &Engine, pid: u32) -> usize {
    docker::labelled(engine, PID_LABEL, Some(&pid.to_string())).unwrap().len()
}

fn wait_for_a_container(engine: &Engine, pid: u32) {
    let started = Instant::now();
    while containers_of(engine, pid) == 0 {
        assert!(started.elapsed() < Duration::from_secs(120), "run {pid} started no container");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: kill(2) on a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
}

pub fn labelled_containers_never_outlive_their_run() {
    let engine = gauntlet::docker::connect().expect("the tier runs only with an engine");
    build_image();

    // A failing check: exit 1, and the container is gone.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("strict.yaml");
    std::fs::write(&profile, "name: strict\nthresholds:\n  ready_budget: 1ms\n").unwrap();
    let run = gauntlet(&[
        "run",
        "--target",
        "container",
        "--profile",
        profile.to_str().unwrap(),
        "--",
        "probe.ready.time-to-ready",
    ]);
    let pid = run.id();
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(containers_of(&engine, pid), 0, "a failing run left its container");

    // Interrupted (Ctrl-C): exit 130, and the container is gone.
    let run = gauntlet(&["run", "--target", "container"]);
    wait_for_a_container(&engine, run.id());
    signal(&run, libc::SIGINT);
    let pid = run.id();
    let out = run.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted; removed"), "{stderr}");
    assert_eq!(containers_of(&engine, pid), 0, "an interrupted run left its container");

    // Killed: the container stays behind until the next run sweeps it.
    let mut run = gauntlet(&["run", "--target", "container"]);
    wait_for_a_container(&engine, run.id());
    signal(&run, libc::SIGKILL);
    run.wait().unwrap();
    let killed = run.id();
    assert!(containers_of(&engine, killed) > 0, "SIGKILL cannot clean up; the sweep must");
    let next = gauntlet(&["run", "--target", "container", "--", "probe.startup.ok"]);
    let out = next.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("left by runs that died"), "{stderr}");
    assert_eq!(
        containers_of(&engine, killed),
        0,
        "the next run did not sweep the dead run's container"
    );
}
