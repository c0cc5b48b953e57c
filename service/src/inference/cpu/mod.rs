//! The native CPU encoder: BERT in f32 over packed sequences (no padding work),
//! with the linear layers on prepacked weights (`matmul`) and vectorized GELU, softmax and
//! layer norm. Weights come from the same memory-mapped safetensors as candle's.

mod encoder;
mod kernels;
mod matmul;

pub(crate) use encoder::CpuBert;
