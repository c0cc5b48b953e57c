//! The inference core: model folder loading, tokenization, the candle worker
//! thread and its batcher. Nothing here depends on axum.

mod cpu;
mod error;
mod model;
mod tokenize;
mod worker;

pub use error::{Error, Result};
pub use model::{Backend, ModelFiles, ModelInfo, Pooling, normalize};
pub use tokenize::{Tokenized, Tokenizer, TruncationDirection};
pub use worker::{BatchLimits, Engine, WorkerStats};
