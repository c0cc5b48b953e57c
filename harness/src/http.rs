//! The HTTP client checks use: blocking, bounded by a timeout, JSON in and out.

use std::time::Duration;

use serde_json::Value;

/// A blocking client with a bounded wait.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client with no TLS settings always builds")
}

/// GETs `url`; returns the status and the body parsed as JSON (`Err` says why not).
pub fn get_json(url: &str) -> Result<(u16, Value), String> {
    let response = client().get(url).send().map_err(|e| format!("GET {url}: {e}"))?;
    read(url, response)
}

/// POSTs `body` as JSON; returns the status and the parsed answer.
pub fn post_json(url: &str, body: &Value) -> Result<(u16, Value), String> {
    let response = client().post(url).json(body).send().map_err(|e| format!("POST {url}: {e}"))?;
    read(url, response)
}

fn read(url: &str, response: reqwest::blocking::Response) -> Result<(u16, Value), String> {
    let status = response.status().as_u16();
    let text = response.text().map_err(|e| format!("{url}: reading the body: {e}"))?;
    let value = serde_json::from_str(&text).map_err(|_| {
        format!("{url} answered {status} with a body that is not JSON: {}", clip(&text))
    })?;
    Ok((status, value))
}

/// The first 200 characters of `text`, for messages.
pub fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
