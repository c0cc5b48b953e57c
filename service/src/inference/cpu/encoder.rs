//! The BERT encoder forward pass on the CPU over packed sequences.
//!
//! All tokens of a batch sit in one `[tokens, hidden]` matrix with no padding, so
//! the linear layers are single matrix products and attention runs per sequence.
//! Bias and residual are written into the GEMM's destination first and the
//! product is accumulated onto them, so no intermediate tensor is made for either.

use std::sync::Mutex;

use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device};
use rayon::prelude::*;

use super::kernels;
use super::matmul::Linear;
use crate::inference::model::{ModelFiles, Pooling};
use crate::inference::{Error, Result};

/// Rows below which element-wise work is not worth splitting across threads.
const PARALLEL_ROWS: usize = 64;

/// A BERT encoder with its weights in plain `Vec<f32>`s.
pub(crate) struct CpuBert {
    hidden: usize,
    intermediate: usize,
    heads: usize,
    eps: f32,
    max_positions: usize,
    pooling: Pooling,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer>,
    scratch: Mutex<Scratch>,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// `[3 * hidden, hidden]`: query, key and value weights stacked.
    qkv_w: Linear,
    qkv_b: Vec<f32>,
    attn_out_w: Linear,
    attn_out_b: Vec<f32>,
    attn_norm: Norm,
    inter_w: Linear,
    inter_b: Vec<f32>,
    out_w: Linear,
    out_b: Vec<f32>,
    out_norm: Norm,
}

/// Buffers reused across batches so a forward pass allocates nothing large.
#[derive(Default)]
struct Scratch {
    hidden: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    inter: Vec<f32>,
}

struct Weights {
    st: MmapedSafetensors,
    prefix: &'static str,
}

impl Weights {
    fn get(&self, name: &str) -> Result<Vec<f32>> {
        let full = format!("{}{name}", self.prefix);
        let tensor = self.st.load(&full, &Device::Cpu)?;
        Ok(tensor.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
    }

    fn norm(&self, name: &str) -> Result<Norm> {
        let gamma =
            self.get(&format!("{name}.weight")).or_else(|_| self.get(&format!("{name}.gamma")))?;
        let beta =
            self.get(&format!("{name}.bias")).or_else(|_| self.get(&format!("{name}.beta")))?;
        Ok(Norm { gamma, beta })
    }
}

impl CpuBert {
    /// Reads the weights of `files` into memory.
    pub(crate) fn load(files: &ModelFiles) -> Result<Self> {
        let c = &files.config;
        if !c.hidden_size.is_multiple_of(c.num_attention_heads) {
            return Err(Error::Unsupported(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                c.hidden_size, c.num_attention_heads
            )));
        }
        let path = files.dir.join("model.safetensors");
        // SAFETY: the weights file is opened read-only and copied out before the map is dropped.
        let st = unsafe { MmapedSafetensors::new(&path)? };
        let prefix =
            if st.get("bert.embeddings.word_embeddings.weight").is_ok() { "bert." } else { "" };
        let w = Weights { st, prefix };
        let (h, inter) = (c.hidden_size, c.intermediate_size);
        let layers = (0..c.num_hidden_layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                let mut qkv_w = w.get(&format!("{p}.attention.self.query.weight"))?;
                qkv_w.extend(w.get(&format!("{p}.attention.self.key.weight"))?);
                qkv_w.extend(w.get(&format!("{p}.attention.self.value.weight"))?);
                let mut qkv_b = w.get(&format!("{p}.attention.self.query.bias"))?;
                qkv_b.extend(w.get(&format!("{p}.attention.self.key.bias"))?);
                qkv_b.extend(w.get(&format!("{p}.attention.self.value.bias"))?);
                Ok(Layer {
                    qkv_w: Linear::new(qkv_w, 3 * h, h),
                    qkv_b,
                    attn_out_w: Linear::new(
                        w.get(&format!("{p}.attention.output.dense.weight"))?,
                        h,
                        h,
                    ),
                    attn_out_b: w.get(&format!("{p}.attention.output.dense.bias"))?,
                    attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"))?,
                    inter_w: Linear::new(
                        w.get(&format!("{p}.intermediate.dense.weight"))?,
                        inter,
                        h,
                    ),
                    inter_b: w.get(&format!("{p}.intermediate.dense.bias"))?,
                    out_w: Linear::new(w.get(&format!("{p}.output.dense.weight"))?, h, inter),
                    out_b: w.get(&format!("{p}.output.dense.bias"))?,
                    out_norm: w.norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut token_type = w.get("embeddings.token_type_embeddings.weight")?;
        token_type.truncate(c.hidden_size);
        Ok(Self {
            hidden: c.hidden_size,
            intermediate: c.intermediate_size,
            heads: c.num_attention_heads,
            eps: c.layer_norm_eps as f32,
            max_positions: c.max_position_embeddings,
            pooling: files.pooling,
            word: w.get("embeddings.word_embeddings.weight")?,
            position: w.get("embeddings.position_embeddings.weight")?,
            token_type,
            embed_norm: w.norm("embeddings.LayerNorm")?,
            layers,
            scratch: Mutex::new(Scratch::default()),
        })
    }

    /// Embeds `batch`; returns the pooled, not yet normalized vectors in order.
    pub(crate) fn embed(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let tokens: usize = batch.iter().map(|s| s.len()).sum();
        if tokens == 0 {
            return Ok(vec![vec![0.0; h]; batch.len()]);
        }
        let vocab = self.word.len() / h;
        for seq in batch {
            if seq.len() > self.max_positions {
                return Err(Error::Inference(format!(
                    "a sequence of {} tokens is longer than the model's {} positions",
                    seq.len(),
                    self.max_positions
                )));
            }
            if let Some(bad) = seq.iter().find(|&&id| id as usize >= vocab) {
                return Err(Error::Inference(format!(
                    "token id {bad} is outside the vocabulary of {vocab}"
                )));
            }
        }
        let lens: Vec<usize> = batch.iter().map(|s| s.len()).collect();
        let mut guard = self.scratch.lock().expect("scratch lock");
        let s = &mut *guard;
        resize(&mut s.hidden, tokens * h);
        resize(&mut s.qkv, tokens * 3 * h);
        resize(&mut s.ctx, tokens * h);
        resize(&mut s.inter, tokens * self.intermediate);

        self.embeddings(batch, &mut s.hidden);
        for layer in &self.layers {
            self.layer(layer, &lens, s);
        }
        Ok(self.pool(&lens, &s.hidden))
    }

    fn embeddings(&self, batch: &[&[u32]], out: &mut [f32]) {
        let h = self.hidden;
        let mut row = 0;
        for seq in batch {
            for (pos, &id) in seq.iter().enumerate() {
                let dst = &mut out[row * h..][..h];
                let word = &self.word[id as usize * h..][..h];
                let position = &self.position[pos * h..][..h];
                for (((d, w), p), t) in dst.iter_mut().zip(word).zip(position).zip(&self.token_type)
                {
                    *d = w + p + t;
                }
                row += 1;
            }
        }
        self.norm_rows(out, &self.embed_norm);
    }

    fn layer(&self, l: &Layer, lens: &[usize], s: &mut Scratch) {
        let (h, i) = (self.hidden, self.intermediate);
        let tokens = s.hidden.len() / h;
        // Query, key and value in one GEMM, onto their biases.
        fill_rows(&mut s.qkv, &l.qkv_b);
        l.qkv_w.apply_acc(&mut s.qkv, &s.hidden, tokens);
        self.attend(&s.qkv, &mut s.ctx, lens);
        // Output projection onto residual + bias, then layer norm.
        add_rows(&mut s.hidden, &l.attn_out_b);
        l.attn_out_w.apply_acc(&mut s.hidden, &s.ctx, tokens);
        self.norm_rows(&mut s.hidden, &l.attn_norm);
        // Feed-forward: up-projection onto its bias, GELU, down-projection onto residual + bias.
        fill_rows(&mut s.inter, &l.inter_b);
        l.inter_w.apply_acc(&mut s.inter, &s.hidden, tokens);
        par_rows(&mut s.inter, i, kernels::gelu);
        add_rows(&mut s.hidden, &l.out_b);
        l.out_w.apply_acc(&mut s.hidden, &s.inter, tokens);
        self.norm_rows(&mut s.hidden, &l.out_norm);
    }

    fn attend(&self, qkv: &[f32], ctx: &mut [f32], lens: &[usize]) {
        let (h, heads) = (self.hidden, self.heads);
        let head_dim = h / heads;
        let mut jobs = Vec::with_capacity(lens.len());
        let (mut qkv_rest, mut ctx_rest) = (qkv, ctx);
        for &len in lens {
            let (q, qr) = qkv_rest.split_at(len * 3 * h);
            let (c, cr) = std::mem::take(&mut ctx_rest).split_at_mut(len * h);
            jobs.push((q, c, len));
            qkv_rest = qr;
            ctx_rest = cr;
        }
        if jobs.len() == 1 {
            let (q, c, len) = jobs.pop().expect("one job");
            kernels::attention(q, c, len, heads, head_dim);
        } else {
            jobs.into_par_iter()
                .for_each(|(q, c, len)| kernels::attention(q, c, len, heads, head_dim));
        }
    }

    fn norm_rows(&self, x: &mut [f32], norm: &Norm) {
        let eps = self.eps;
        par_rows(x, self.hidden, |rows| kernels::layer_norm(rows, &norm.gamma, &norm.beta, eps));
    }

    fn pool(&self, lens: &[usize], hidden: &[f32]) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let mut start = 0;
        lens.iter()
            .map(|&len| {
                let rows = &hidden[start * h..(start + len) * h];
                start += len;
                match self.pooling {
                    Pooling::Cls => rows[..h].to_vec(),
                    Pooling::Mean => {
                        let mut v = vec![0.0f32; h];
                        for row in rows.chunks_exact(h) {
                            v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
                        }
                        let inv = 1.0 / len.max(1) as f32;
                        v.iter_mut().for_each(|a| *a *= inv);
                        v
                    }
                }
            })
            .collect()
    }
}

fn resize(buf: &mut Vec<f32>, len: usize) {
    buf.resize(len, 0.0);
}

/// Writes `row` into every row of `x`.
fn fill_rows(x: &mut [f32], row: &[f32]) {
    x.chunks_exact_mut(row.len()).for_each(|r| r.copy_from_slice(row));
}

/// Adds `row` to every row of `x`.
fn add_rows(x: &mut [f32], row: &[f32]) {
    x.chunks_exact_mut(row.len()).for_each(|r| r.iter_mut().zip(row).for_each(|(a, b)| *a += b));
}

/// Applies `f` to blocks of whole `width`-wide rows, in parallel when there are many.
fn par_rows(x: &mut [f32], width: usize, f: impl Fn(&mut [f32]) + Sync + Send) {
    let rows = x.len() / width;
    if rows < PARALLEL_ROWS {
        return f(x);
    }
    let per_task = rows.div_ceil(rayon::current_num_threads() * 4).max(8);
    x.par_chunks_mut(per_task * width).for_each(f);
}
