//! Integration tests: the real `gauntlet-service` binary on an ephemeral port
//! with the real model (run `cargo xtask model` first, or `cargo xtask test`).

mod api;
mod embeddings;
mod errors;
mod fuzz;
mod lifecycle;
mod support;
