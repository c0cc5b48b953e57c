//! The HTTP layer (axum): routes by family, auth, metrics middleware, and the
//! one place where errors become status codes (`error`).

mod auth;
mod embeddings;
mod error;
mod health;
mod meta;
mod router;
mod state;
mod v2;

pub use error::ApiError;
pub use router::router;
pub use state::AppState;
