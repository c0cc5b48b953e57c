//! Tier 2 of the integration tests: the real service with the real model, on
//! the process target: the checks that signal and restart it, the `manifest.*`
//! checks against it (the overlay rendered by kubectl where one is there), and
//! the GPU family judged on its answers.

#[path = "../common/mod.rs"]
mod common;

mod baseline;
mod cross;
mod gpu;
mod init;
mod lifecycle;
