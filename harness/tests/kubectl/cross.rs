//! The project's cpu overlay, rendered by kubectl, agrees with the recorded
//! image and the measured figures.

use std::time::Duration;

use gauntlet::checks;

use crate::common::{cpu_overlay, passes, recorded_image};

#[test]
fn the_overlay_agrees_with_the_recorded_image_and_measured_figures() {
    let Some(d) = cpu_overlay() else { return };
    let image = recorded_image();
    let evidence = passes(checks::judge_port(&d, &image, Some(8080)));
    assert!(evidence.contains("containerPort 8080 = EXPOSE 8080 = listening 8080"), "{evidence}");
    passes(checks::judge_user(&d, &image));
    // 162 MB: the peak measured under an 8-client burst in the container.
    passes(checks::judge_memory_headroom(&d, 162_000_000));
    // 0.51 s: the measured cold start to ready in the container.
    let evidence = passes(checks::judge_startup_budget(&d, Duration::from_millis(510), 3.0));
    assert!(evidence.contains("failureThreshold 30 × periodSeconds 2 = 60 s"), "{evidence}");
}
