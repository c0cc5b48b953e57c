//! Who this run is: an id unique on this host, the labels that mark every
//! container, network and namespace it creates, and the facts a later run needs
//! to tell a dead run's leftovers from a live one's.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every container, network, volume and namespace the harness creates carries
/// this label, valued with the run's id.
pub const RUN_LABEL: &str = "gauntlet.run";
/// And this one, valued with the harness's process id, so a later run can tell
/// a dead run's leftovers from a live run's.
pub const PID_LABEL: &str = "gauntlet.pid";
/// And, where the objects outlive the host's view (a cluster's namespaces),
/// this one naming the host, so a sweep only judges its own host's process ids.
pub const HOST_LABEL: &str = "gauntlet.host";

/// The environment that hands a run's identity to a child that carries on the
/// same run (a program run again behind the Docker API shim): its id, and the
/// process id of the harness a user started.
pub const RUN_ENV: [&str; 2] = ["GAUNTLET_RUN_ID", "GAUNTLET_RUN_PID"];

/// This run's id: the process id and the start time, unique on this host; in a
/// child carrying on the run, the parent's.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        if let Some(id) = inherited().and_then(|_| std::env::var(RUN_ENV[0]).ok())
            && !id.is_empty()
        {
            return id;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{}-{nanos:x}", std::process::id())
    })
}

/// The process id that stands for this run in the `gauntlet.pid` label: this
/// process's, or in a child carrying on the run, the parent's (whose death,
/// which takes the child with it, marks the run dead).
pub fn run_pid() -> u32 {
    static PID: OnceLock<u32> = OnceLock::new();
    *PID.get_or_init(|| inherited().unwrap_or(std::process::id()))
}

/// The parent's pid when this process carries on the parent's run: the
/// environment names it and it is this process's parent. Programs this one
/// starts in turn (a test that runs the `gauntlet` binary) inherit the
/// environment but not the parent, so they are runs of their own.
fn inherited() -> Option<u32> {
    let pid: u32 = std::env::var(RUN_ENV[1]).ok()?.parse().ok()?;
    (pid == std::os::unix::process::parent_id()).then_some(pid)
}

/// This host's name, as the kernel has it (`unknown` when it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// Whether this runs in CI (`CI` set to anything but `false`, `0` or empty),
/// where a missing engine or cluster fails tests instead of skipping them.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// Whether process `pid` still runs on this host (a zombie, dead but not yet
/// reaped, does not count).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    found && !zombie
}

/// The gauntlet source checkout that the developer commands build from (the
/// service image, the CUDA libraries): the nearest folder above the current
/// directory, or else above this executable, that holds `service/Cargo.toml`
/// and `manifests/Dockerfile`. `None` outside a checkout: nothing of the
/// machine this binary was built on is read.
pub fn source_checkout() -> Option<PathBuf> {
    let is_checkout = |dir: &Path| {
        dir.join("service/Cargo.toml").is_file() && dir.join("manifests/Dockerfile").is_file()
    };
    let from_cwd = std::env::current_dir().ok();
    let from_exe = std::env::current_exe().ok();
    [from_cwd, from_exe]
        .into_iter()
        .flatten()
        .find_map(|start| start.ancestors().find(|d| is_checkout(d)).map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_is_stable_and_starts_with_the_pid() {
        assert_eq!(run_id(), run_id());
        assert!(run_id().starts_with(&format!("{}-", run_pid())), "{}", run_id());
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(process_alive(std::process::id() as i32));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        assert!(!process_alive(pid));
    }
}
