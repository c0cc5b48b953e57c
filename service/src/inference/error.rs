//! Errors of the inference core.

use std::path::PathBuf;

/// Everything that can go wrong between a model folder and an embedding.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the model folder could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file of the model folder does not parse.
    #[error("cannot parse {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The model folder asks for something this service does not implement.
    #[error("unsupported model: {0}")]
    Unsupported(String),
    /// The tokenizer failed to load or to encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Candle failed while loading weights or running the model.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// An input has more tokens than allowed and truncation was not asked for.
    #[error("input {index} has {tokens} tokens, more than the limit of {limit}")]
    InputTooLong {
        /// Position of the input in its request.
        index: usize,
        /// Its token count.
        tokens: usize,
        /// The limit.
        limit: usize,
    },
    /// The queue in front of the worker is full.
    #[error("the inference queue is full ({capacity} requests waiting)")]
    Overloaded {
        /// The queue's capacity.
        capacity: usize,
    },
    /// A forward pass failed; every request in its batch gets this error.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The worker thread has stopped.
    #[error("the inference worker has stopped")]
    WorkerGone,
}

/// Result of the inference core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
