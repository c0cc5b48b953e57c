//! The HTTP client checks use: blocking, bounded by a timeout, JSON in and out.

use std::time::Duration;

use serde_json::Value;

use crate::verdict::Failure;

/// Why a request got no JSON answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be sent, or its answer could not be read.
    #[error("{method} {url}: {source}")]
    Transport {
        /// `GET`, `POST`.
        method: &'static str,
        /// Where it went.
        url: String,
        /// What the client said.
        #[source]
        source: reqwest::Error,
    },
    /// The answer's body could not be read.
    #[error("{url}: reading the body: {source}")]
    Body {
        /// Where it came from.
        url: String,
        /// What the client said.
        #[source]
        source: reqwest::Error,
    },
    /// The answer's body is not JSON.
    #[error("{url} answered {status} with a body that is not JSON: {body}")]
    NotJson {
        /// Where it came from.
        url: String,
        /// Its status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

/// The result of a request.
pub type Result<T> = std::result::Result<T, Error>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self(e.to_string())
    }
}

/// A blocking client with a bounded wait.
pub fn client() -> reqwest::blocking::Client {
    client_within(Duration::from_secs(30))
}

/// A blocking client that gives up on an answer after `bound`.
pub fn client_within(bound: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(bound)
        .build()
        .expect("a client with no TLS settings always builds")
}

/// An answer read whole: its status, its text, and the text as JSON when it is JSON.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub text: String,
    /// The body parsed as JSON, when it parses.
    pub json: Option<Value>,
}

/// GETs `base` + `path`, or POSTs `body` there as JSON, waiting at most
/// `bound`; `Err` says which request got no answer and why (a timeout names
/// the bound). Checks hold servers to their profile's request timeout with it.
pub fn exchange(
    base: &str,
    path: &str,
    body: Option<&[u8]>,
    bound: Duration,
) -> std::result::Result<Answer, String> {
    let (method, url) = (if body.is_some() { "POST" } else { "GET" }, format!("{base}{path}"));
    let client = client_within(bound);
    let request = match body {
        Some(body) => {
            client.post(&url).header("content-type", "application/json").body(body.to_vec())
        }
        None => client.get(&url),
    };
    let response = request.send().map_err(|e| {
        if e.is_timeout() {
            format!("{method} {path}: no answer within the request timeout of {bound:?}")
        } else {
            format!("{method} {path}: {e}")
        }
    })?;
    let status = response.status().as_u16();
    let text = response.text().map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
    let json = serde_json::from_str(&text).ok();
    Ok(Answer { status, text, json })
}

/// GETs `url`; returns the status and the body parsed as JSON (`Err` says why not).
pub fn get_json(url: &str) -> Result<(u16, Value)> {
    let transport = |source| Error::Transport { method: "GET", url: url.to_owned(), source };
    let response = client().get(url).send().map_err(transport)?;
    read(url, response)
}

/// POSTs `body` as JSON; returns the status and the parsed answer.
pub fn post_json(url: &str, body: &Value) -> Result<(u16, Value)> {
    let transport = |source| Error::Transport { method: "POST", url: url.to_owned(), source };
    let response = client().post(url).json(body).send().map_err(transport)?;
    read(url, response)
}

fn read(url: &str, response: reqwest::blocking::Response) -> Result<(u16, Value)> {
    let status = response.status().as_u16();
    let text = response.text().map_err(|source| Error::Body { url: url.to_owned(), source })?;
    let value = serde_json::from_str(&text).map_err(|_| Error::NotJson {
        url: url.to_owned(),
        status,
        body: clip(&text),
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
