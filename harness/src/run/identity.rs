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
/// And this one, valued with [`pid_scope`], so a sweep only judges the process
/// ids of its own host and PID namespace: a cluster's namespaces are seen from
/// many hosts, and one engine's containers from the host and from gauntlet
/// running inside a container with the socket mounted.
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
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// Where this run's process ids mean something: the host's name and the PID
/// namespace's inode. The name alone is not enough, since a container on the
/// host's network carries the host's name but has process ids of its own. It
/// is a valid Kubernetes label value: at most 63 characters of `[A-Za-z0-9._-]`.
/// Read once: neither changes while the process lives.
pub fn pid_scope() -> &'static str {
    static SCOPE: OnceLock<String> = OnceLock::new();
    SCOPE.get_or_init(|| {
        let namespace = std::fs::read_link("/proc/self/ns/pid")
            .ok()
            .and_then(|link| {
                let link = link.to_string_lossy().into_owned();
                link.strip_prefix("pid:[")?.strip_suffix(']').map(str::to_owned)
            })
            .unwrap_or_else(|| "unknown".into());
        scope_of(&host_name(), &namespace)
    })
}

fn scope_of(host: &str, namespace: &str) -> String {
    let suffix = format!(".pid-{namespace}");
    let host: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' })
        .take(63usize.saturating_sub(suffix.len()))
        .collect();
    let host = host.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let host = if host.is_empty() { "unknown" } else { host };
    format!("{host}{suffix}")
}

/// The labels that mark everything this run creates: its id, the process id
/// that stands for it, and the scope that process id means something in.
pub fn labels() -> [(String, String); 3] {
    [
        (RUN_LABEL.to_owned(), run_id().to_owned()),
        (PID_LABEL.to_owned(), run_pid().to_string()),
        (HOST_LABEL.to_owned(), pid_scope().to_owned()),
    ]
}

/// Whether an object whose labels `label` reads was left by a run that died in
/// `scope`: it names that scope and a process id `alive` says is gone. Objects
/// of another scope (another host, a container's own PID namespace) or with no
/// scope label are never judged, since their process ids mean nothing here.
pub fn left_by_dead_run<'a>(
    label: impl Fn(&str) -> Option<&'a str>,
    scope: &str,
    alive: impl Fn(i32) -> bool,
) -> bool {
    label(HOST_LABEL) == Some(scope)
        && label(PID_LABEL).and_then(|p| p.parse::<i32>().ok()).is_some_and(|pid| !alive(pid))
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

    #[test]
    fn the_pid_scope_names_the_host_and_the_pid_namespace_as_a_label_value() {
        let scope = pid_scope();
        assert!(scope.starts_with(&host_name()) || host_name().len() > 40, "{scope}");
        assert!(scope.contains(".pid-") && !scope.ends_with("unknown"), "{scope}");
        let long = scope_of(&"h".repeat(100), "4026531836");
        assert_eq!(long.len(), 63, "{long}");
        assert!(long.ends_with(".pid-4026531836"), "{long}");
        assert_eq!(scope_of("my host!", "1"), "my-host.pid-1");
        assert_eq!(scope_of("", "1"), "unknown.pid-1");
    }

    #[test]
    fn only_dead_runs_of_this_scope_are_left_behind() {
        let judge = |scope: Option<&str>, pid: Option<&str>| {
            let labels: std::collections::HashMap<&str, &str> =
                [(HOST_LABEL, scope), (PID_LABEL, pid)]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?)))
                    .collect();
            left_by_dead_run(|k| labels.get(k).copied(), "here", |pid| pid == 200)
        };
        assert!(judge(Some("here"), Some("100")), "a dead run of this scope");
        assert!(!judge(Some("here"), Some("200")), "a live run of this scope");
        // A container created from inside another PID namespace (gauntlet in
        // its own image with the socket mounted), or by an older gauntlet.
        assert!(!judge(Some("there"), Some("100")), "another scope's process ids mean nothing");
        assert!(!judge(None, Some("100")), "no scope, no judgement");
        assert!(!judge(Some("here"), Some("not-a-pid")), "a garbled pid");
        assert!(!judge(Some("here"), None), "no pid");
    }
}
