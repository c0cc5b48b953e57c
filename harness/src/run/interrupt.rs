//! Clean-up hooks: what to undo when SIGINT or SIGTERM arrives (this run's
//! containers, its namespace), run by a thread the signal handler wakes through
//! a pipe, before the process exits with 128 + the signal as a shell reports it.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once SIGINT or SIGTERM arrived.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Call on the way out of `main`: when an interrupt is being handled, waits for
/// its clean-up to end the process (with 128 + the signal) instead of racing it
/// with another exit code.
pub fn settle() {
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The write end of the pipe the signal handler reports to.
static SIGNAL_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// Writes the signal's number into the pipe: the only work a handler may do.
extern "C" fn on_signal(signal: libc::c_int) {
    let byte = signal as u8;
    // SAFETY: write(2) is async-signal-safe; the fd stays open for the process's life.
    unsafe { libc::write(SIGNAL_PIPE.load(Ordering::Relaxed), (&raw const byte).cast(), 1) };
}

/// What to undo when an interrupt arrives, beyond this run's containers.
type Hook = Box<dyn Fn() + Send>;
static HOOKS: std::sync::Mutex<Vec<(u64, Hook)>> = std::sync::Mutex::new(Vec::new());
static NEXT_HOOK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs `hook` if SIGINT or SIGTERM arrives (after [`handle_interrupts`]);
/// returns a key for [`forget_on_interrupt`].
pub fn on_interrupt(hook: impl Fn() + Send + 'static) -> u64 {
    let key = NEXT_HOOK.fetch_add(1, Ordering::Relaxed);
    HOOKS.lock().expect("interrupt hooks").push((key, Box::new(hook)));
    key
}

/// Drops a hook whose work was done on the normal path.
pub fn forget_on_interrupt(key: u64) {
    HOOKS.lock().expect("interrupt hooks").retain(|(k, _)| *k != key);
}

/// Handles SIGINT and SIGTERM from now on: a handler reports the signal through
/// a pipe to a thread that runs the [`on_interrupt`] hooks and exits with 128 +
/// the signal, as a shell reports it. Handlers, unlike blocked signal masks, do
/// not survive `exec`, so the services the harness starts still get their
/// signals. Idempotent.
pub fn handle_interrupts() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(install);
}

fn install() {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills the two fds of a local array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!("gauntlet: no clean-up on interrupt: {}", std::io::Error::last_os_error());
        return;
    }
    SIGNAL_PIPE.store(fds[1], Ordering::Relaxed);
    let read_fd = fds[0];
    let spawned = std::thread::Builder::new().name("gauntlet-interrupt".into()).spawn(move || {
        let mut byte = 0u8;
        // SAFETY: read(2) of one byte into a local from the pipe made above.
        if unsafe { libc::read(read_fd, (&raw mut byte).cast(), 1) } != 1 {
            return;
        }
        INTERRUPTED.store(true, Ordering::SeqCst);
        let hooks = std::mem::take(&mut *HOOKS.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, hook) in hooks {
            hook();
        }
        std::process::exit(128 + i32::from(byte));
    });
    if let Err(e) = spawned {
        eprintln!("gauntlet: no clean-up on interrupt: {e}");
        return;
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installs a handler that only calls write(2).
        unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
    }
}
