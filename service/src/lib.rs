//! gauntlet-service: the reference sentence-embedding service.
//!
//! The inference core (`inference`) knows nothing of HTTP; `http` is the only
//! module that speaks status codes.

pub mod config;
pub mod device;
pub mod gpu;
pub mod http;
pub mod inference;
pub mod logging;
pub mod metrics;
pub mod probe;
pub mod readiness;
pub mod serve;
