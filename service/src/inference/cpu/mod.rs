//! The native CPU encoder: BERT in f32 over packed sequences (no padding work),
//! with the linear layers on the `gemm` crate and vectorized GELU, softmax and
//! layer norm. Weights come from the same memory-mapped safetensors as candle's.

mod encoder;
mod kernels;

pub(crate) use encoder::CpuBert;
