//! Images: building the service's (`build`) and reading what any image says
//! about itself (`facts`).

mod build;
mod facts;

pub use build::{
    DEV_TAG, Error, ImageSpec, MODEL_FILES, NAME, Result, assemble, build, build_harness,
    parse_ldd, rfc3339, shared_libraries,
};
pub use facts::{ImageFacts, REQUIRED_LABELS};
