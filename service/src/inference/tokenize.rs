//! Tokenization: the model's `tokenizer.json` with its fixed padding and
//! truncation turned off, so each input costs only its own tokens.

use std::path::Path;

use serde::Deserialize;

use super::{Error, Result};

/// The model's tokenizer, shared by the request handlers.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

/// The tokens of one input, ready for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    /// Token ids, special tokens included.
    pub ids: Vec<u32>,
    /// Whether the input was cut to fit the limit.
    pub truncated: bool,
}

/// Which end of an over-long input is cut off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TruncationDirection {
    /// Keep the start of the text (the default).
    #[default]
    Right,
    /// Keep the end of the text.
    Left,
}

impl Tokenizer {
    /// Loads `tokenizer.json` and turns off its padding and truncation.
    pub fn from_file(path: &Path) -> Result<Self> {
        let mut inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
        Ok(Self { inner })
    }

    /// Tokenizes `text` with special tokens. Inputs longer than `limit` tokens are
    /// cut (keeping the special tokens at both ends) when `truncate` is set and
    /// rejected otherwise; `index` names the input in the error.
    pub fn encode(
        &self,
        text: &str,
        index: usize,
        limit: usize,
        truncate: Option<TruncationDirection>,
    ) -> Result<Tokenized> {
        let encoding =
            self.inner.encode_fast(text, true).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let ids = encoding.get_ids();
        if ids.len() <= limit {
            return Ok(Tokenized { ids: ids.to_vec(), truncated: false });
        }
        let Some(direction) = truncate else {
            return Err(Error::InputTooLong { index, tokens: ids.len(), limit });
        };
        Ok(Tokenized { ids: truncate_ids(ids, limit, direction), truncated: true })
    }
}

/// Cuts `ids` to `limit` tokens, keeping the first and last (special) token.
fn truncate_ids(ids: &[u32], limit: usize, direction: TruncationDirection) -> Vec<u32> {
    let limit = limit.max(2);
    let (first, last) = (ids[0], ids[ids.len() - 1]);
    let body = &ids[1..ids.len() - 1];
    let keep = limit - 2;
    let kept = match direction {
        TruncationDirection::Right => &body[..keep],
        TruncationDirection::Left => &body[body.len() - keep..],
    };
    let mut out = Vec::with_capacity(limit);
    out.push(first);
    out.extend_from_slice(kept);
    out.push(last);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_special_tokens_at_both_ends() {
        let ids = [101, 1, 2, 3, 4, 5, 102];
        assert_eq!(truncate_ids(&ids, 4, TruncationDirection::Right), vec![101, 1, 2, 102]);
        assert_eq!(truncate_ids(&ids, 4, TruncationDirection::Left), vec![101, 4, 5, 102]);
    }
}
