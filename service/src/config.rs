//! The `serve` settings: every flag also reads a `GAUNTLET_*` environment variable.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::device::DeviceRequest;
use crate::inference::Backend;

/// Settings of `gauntlet-service serve`, carried as one struct.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "GAUNTLET_HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one; the chosen address is logged).
    #[arg(long, env = "GAUNTLET_PORT", default_value_t = 8080)]
    pub port: u16,
    /// A sentence-transformers folder (config.json, tokenizer.json, model.safetensors, 1_Pooling/).
    #[arg(long, env = "GAUNTLET_MODEL_DIR", default_value = "models/all-MiniLM-L6-v2")]
    pub model_dir: PathBuf,
    /// Name reported as `model` (defaults to the folder's name).
    #[arg(long, env = "GAUNTLET_MODEL_ID")]
    pub model_id: Option<String>,
    /// Where the model runs: auto, cpu or cuda:N.
    #[arg(long, env = "GAUNTLET_DEVICE", default_value = "auto")]
    pub device: DeviceRequest,
    /// Forward-pass implementation: auto (native on the CPU, candle on CUDA), native or candle.
    #[arg(long, env = "GAUNTLET_BACKEND", value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// Most sentences in one forward pass.
    #[arg(long, env = "GAUNTLET_MAX_BATCH_SIZE", default_value_t = 32)]
    pub max_batch_size: usize,
    /// Most tokens (padding included) in one forward pass.
    #[arg(long, env = "GAUNTLET_MAX_BATCH_TOKENS", default_value_t = 16384)]
    pub max_batch_tokens: usize,
    /// Most requests waiting for the model; more are refused with 429.
    #[arg(long, env = "GAUNTLET_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,
    /// Most inputs in one request; more are refused with 413.
    #[arg(long, env = "GAUNTLET_MAX_CLIENT_BATCH_SIZE", default_value_t = 2048)]
    pub max_client_batch_size: usize,
    /// Most tokens in one input (defaults to the model's max_seq_length).
    #[arg(long, env = "GAUNTLET_MAX_INPUT_TOKENS")]
    pub max_input_tokens: Option<usize>,
    /// Largest request body in bytes; larger ones are refused with 413.
    #[arg(long, env = "GAUNTLET_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Bearer token required on the inference routes (health, metrics and info stay open).
    #[arg(long, env = "GAUNTLET_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Longest wait for in-flight requests after SIGTERM before giving up (e.g. 20s).
    #[arg(long, env = "GAUNTLET_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// How long to keep accepting connections (answering not-ready) after SIGTERM,
    /// so load balancers see readiness drop before the port closes.
    #[arg(long, env = "GAUNTLET_SHUTDOWN_DELAY", default_value = "2s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,
    /// Liveness fails when queued work has seen no progress for this long.
    #[arg(long, env = "GAUNTLET_LIVENESS_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub liveness_timeout: Duration,
    /// Log format.
    #[arg(long, env = "GAUNTLET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Fault injection for tests: pause this long after every forward pass.
    #[arg(long, env = "GAUNTLET_DEBUG_BATCH_DELAY", value_parser = parse_duration, default_value = "0s", hide = true)]
    pub debug_batch_delay: Duration,
    /// Fault injection for tests: wait this long before loading the model (a slow start).
    #[arg(long, env = "GAUNTLET_DEBUG_LOAD_DELAY", value_parser = parse_duration, default_value = "0s", hide = true)]
    pub debug_load_delay: Duration,
    /// Fault injection for tests: write a scratch file here at start and exit 1 when
    /// that fails (a service that needs a writable root filesystem).
    #[arg(long, env = "GAUNTLET_DEBUG_SCRATCH_FILE", hide = true)]
    pub debug_scratch_file: Option<std::path::PathBuf>,
    /// Fault injection for tests: ignore SIGTERM (SIGINT still stops the service).
    #[arg(long, env = "GAUNTLET_DEBUG_IGNORE_SIGTERM", hide = true)]
    pub debug_ignore_sigterm: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object a line.
    Json,
    /// Human-readable lines.
    Text,
}

/// Parses `250ms`, `2s`, `1m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration like 2s or 500ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("2h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("soon").is_err());
    }
}
