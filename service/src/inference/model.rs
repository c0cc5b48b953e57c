//! A sentence-transformers folder on disk and the BERT forward pass with pooling.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde::{Deserialize, Serialize};

use super::cpu::CpuBert;
use super::{Error, Result};

/// The files of a BERT-family sentence-transformers folder, parsed but not yet loaded.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// The folder.
    pub dir: PathBuf,
    /// The transformer's `config.json`.
    pub config: BertConfig,
    /// How token vectors become one sentence vector.
    pub pooling: Pooling,
    /// Longest input the model was trained for (`sentence_bert_config.json`).
    pub max_seq_length: usize,
}

/// How token vectors are pooled into a sentence vector (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Average of the token vectors under the attention mask.
    Mean,
    /// The vector of the first (`[CLS]`) token.
    Cls,
}

/// What the service tells about its model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// Length of each embedding.
    pub dimension: usize,
    /// Pooling mode.
    pub pooling: Pooling,
    /// Longest input the model was trained for, in tokens.
    pub max_seq_length: usize,
    /// Transformer layers.
    pub layers: usize,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

#[derive(Deserialize)]
struct ArchitectureProbe {
    model_type: Option<String>,
    #[serde(default)]
    architectures: Vec<String>,
}

impl ModelFiles {
    /// Reads and checks the folder's configuration files (not the weights).
    pub fn open(dir: &Path) -> Result<Self> {
        let config_path = dir.join("config.json");
        let arch: ArchitectureProbe = read_json(&config_path)?;
        let is_bert = arch.model_type.as_deref() == Some("bert")
            || arch.architectures.iter().any(|a| a.starts_with("Bert"));
        if !is_bert {
            return Err(Error::Unsupported(format!(
                "{} describes model_type {:?}; only BERT-family models are supported",
                config_path.display(),
                arch.model_type.unwrap_or_default()
            )));
        }
        let config: BertConfig = read_json(&config_path)?;
        let pooling = read_pooling(&dir.join("1_Pooling/config.json"))?;
        let sbert_path = dir.join("sentence_bert_config.json");
        let max_seq_length = if sbert_path.exists() {
            read_json::<SentenceBertConfig>(&sbert_path)?.max_seq_length
        } else {
            None
        }
        .unwrap_or(config.max_position_embeddings)
        .min(config.max_position_embeddings);
        for file in ["tokenizer.json", "model.safetensors"] {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(Error::Read {
                    path,
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "file not found"),
                });
            }
        }
        Ok(Self { dir: dir.to_path_buf(), config, pooling, max_seq_length })
    }

    /// The model's public description.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            dimension: self.config.hidden_size,
            pooling: self.pooling,
            max_seq_length: self.max_seq_length,
            layers: self.config.num_hidden_layers,
        }
    }

    /// Path of `tokenizer.json`.
    pub fn tokenizer_path(&self) -> PathBuf {
        self.dir.join("tokenizer.json")
    }

    /// Loads the weights for `backend` on `device`.
    pub(crate) fn load(&self, device: &Device, backend: Backend) -> Result<Model> {
        match backend.resolve(device)? {
            Backend::Native => Ok(Model::Native(CpuBert::load(self)?)),
            _ => {
                let weights = self.dir.join("model.safetensors");
                // SAFETY: the weights file is opened read-only and is not modified while
                // mapped; the model folder belongs to this service for its whole life.
                let vb =
                    unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device)? };
                let bert = BertModel::load(vb, &self.config)?;
                Ok(Model::Candle(CandleBert {
                    bert,
                    pooling: self.pooling,
                    device: device.clone(),
                }))
            }
        }
    }
}

fn read_pooling(path: &Path) -> Result<Pooling> {
    let cfg: PoolingConfig = read_json(path)?;
    match (
        cfg.pooling_mode_mean_tokens,
        cfg.pooling_mode_cls_token,
        cfg.pooling_mode_max_tokens || cfg.pooling_mode_mean_sqrt_len_tokens,
    ) {
        (true, false, false) => Ok(Pooling::Mean),
        (false, true, false) => Ok(Pooling::Cls),
        _ => Err(Error::Unsupported(format!(
            "{}: exactly one of pooling_mode_mean_tokens and pooling_mode_cls_token must be set",
            path.display()
        ))),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes =
        std::fs::read(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    serde_json::from_slice(&bytes)
        .map_err(|source| Error::Parse { path: path.to_path_buf(), source })
}

/// Which implementation runs the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// `native` on the CPU, `candle` on CUDA.
    #[default]
    Auto,
    /// The native CPU encoder: packed sequences, vectorized kernels (CPU only).
    Native,
    /// candle-transformers' BERT (CPU or CUDA), padded batches.
    Candle,
}

impl Backend {
    /// The backend `self` stands for on `device`.
    pub fn resolve(self, device: &Device) -> Result<Self> {
        match (self, device.is_cpu()) {
            (Self::Auto, true) => Ok(Self::Native),
            (Self::Auto, false) => Ok(Self::Candle),
            (Self::Native, false) => Err(Error::Unsupported(
                "the native backend runs on the CPU only; use --backend candle".into(),
            )),
            (other, _) => Ok(other),
        }
    }
}

/// A loaded model on its device. Lives on the worker thread.
pub(crate) enum Model {
    Native(CpuBert),
    Candle(CandleBert),
}

impl Model {
    /// Embeds one batch of token sequences; returns the pooled, not yet
    /// normalized vectors in input order.
    pub(crate) fn embed(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        match self {
            Self::Native(m) => m.embed(batch),
            Self::Candle(m) => m.embed(batch),
        }
    }
}

/// candle-transformers' BERT, fed padded batches.
pub(crate) struct CandleBert {
    bert: BertModel,
    pooling: Pooling,
    device: Device,
}

impl CandleBert {
    fn embed(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let n = batch.len();
        let width = batch.iter().map(|s| s.len()).max().unwrap_or(0);
        if n == 0 || width == 0 {
            return Ok(vec![Vec::new(); n]);
        }
        let mut ids = vec![0u32; n * width];
        let mut mask = vec![0u32; n * width];
        for (row, seq) in batch.iter().enumerate() {
            ids[row * width..row * width + seq.len()].copy_from_slice(seq);
            mask[row * width..row * width + seq.len()].fill(1);
        }
        let ids = Tensor::from_vec(ids, (n, width), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, width), &self.device)?;
        let types = ids.zeros_like()?;
        let hidden = self.bert.forward(&ids, &types, Some(&mask))?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
                let counts = mask.sum(1)?;
                summed.broadcast_div(&counts)?
            }
        };
        Ok(pooled.to_dtype(DType::F32)?.to_vec2::<f32>()?)
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
