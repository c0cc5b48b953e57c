//! The run itself, the bottom layer every other module may use: its identity
//! and the labels that mark what it created (`identity`), and the hooks that
//! clean up after it when an interrupt arrives (`interrupt`).

mod identity;
mod interrupt;

pub use identity::{
    HOST_LABEL, PID_LABEL, RUN_ENV, RUN_LABEL, in_ci, labels, left_by_dead_run, pid_scope,
    process_alive, run_id, run_pid, source_checkout,
};
pub use interrupt::{forget_on_interrupt, handle_interrupts, on_interrupt, settle};
