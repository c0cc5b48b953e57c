//! The `manifest.*` judgements on fixtures: each manifest in
//! `fixtures/manifests/bad/cross` fails its judgement against the recorded
//! image with a message that says what disagrees.

use std::time::Duration;

use gauntlet::checks;
use gauntlet::manifests::Deployed;

use crate::common::{fails_saying, recorded_image, repo};

fn deployed(path: &str) -> Deployed {
    let documents = gauntlet::manifests::load(&[repo(path)]).unwrap_or_else(|e| panic!("{e}"));
    Deployed::find(&documents).unwrap()
}

#[test]
fn each_cross_fixture_fails_its_judgement() {
    let image = recorded_image();
    fails_saying(
        checks::judge_port(&deployed("fixtures/manifests/bad/cross/port.yaml"), &image, Some(8080)),
        "containerPort 9090, but the image gauntlet-service:dev exposes [8080]",
    );
    fails_saying(
        checks::judge_port(&deployed("fixtures/manifests/bad/cross/port.yaml"), &image, None),
        "Service gauntlet-service port 80 targets 8081, not containerPort 9090",
    );
    fails_saying(
        checks::judge_user(&deployed("fixtures/manifests/bad/cross/user.yaml"), &image),
        "runAsUser 1000, but the image's USER is 65532",
    );
    fails_saying(
        checks::judge_memory_headroom(
            &deployed("fixtures/manifests/bad/cross/memory.yaml"),
            162_000_000,
        ),
        "memory limit 64Mi (67.1 MB) is not above the 162.0 MB the service used under load",
    );
    fails_saying(
        checks::judge_startup_budget(
            &deployed("fixtures/manifests/bad/cross/startup-budget.yaml"),
            Duration::from_millis(510),
            3.0,
        ),
        "failureThreshold 1 × periodSeconds 1 = 1 s, but the service took 510 ms to be ready and the profile asks for 3x that (1530 ms)",
    );
    fails_saying(
        checks::judge_readiness_drain("/health/live", None, Duration::from_secs(1)),
        "readinessProbe GET /health/live never answered 503 after SIGTERM",
    );
}
