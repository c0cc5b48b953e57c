//! `gauntlet init` in an empty folder, then `gauntlet run` with the profile it
//! wrote against the reference service: a starter that works on first run.

use crate::common::gauntlet_in;

#[test]
fn the_written_profile_runs_green_against_the_reference_service() {
    let dir = tempfile::tempdir().unwrap();
    let (code, text) = gauntlet_in(dir.path(), &["init", "--server", "openai"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = gauntlet_in(
        dir.path(),
        &["run", "--target", "process", "--profile", ".gauntlet/profile.yaml"],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("api.embeddings.schema") && text.contains("passed"), "{text}");
}
