//! The one place where errors become HTTP status codes. Every error answer is
//! JSON: `{"error": {"message", "type", "code"}}`.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::inference;

/// An error answer of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not valid JSON (400).
    InvalidJson(String),
    /// A well-formed request asks for something this server cannot give (400).
    BadRequest {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A field has the wrong type or an empty value (422).
    Unprocessable {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
    /// The body's content type is not JSON (415).
    UnsupportedMediaType(String),
    /// The body, the number of inputs or an input is too large (413).
    TooLarge {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is too large and the limit.
        message: String,
    },
    /// A bearer token is missing or wrong (401).
    Unauthorized,
    /// No such route (404).
    NotFound(String),
    /// The route exists but not with this method (405).
    MethodNotAllowed(String),
    /// The queue is full; retry later (429).
    Overloaded(String),
    /// The model is not ready or the service is shutting down (503).
    NotReady(String),
    /// The server failed (500).
    Internal(String),
}

impl ApiError {
    /// Shorthand for a 422 answer.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use ApiError::*;
        match self {
            InvalidJson(m) => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", "invalid_json", m.clone())
            }
            BadRequest { code, message } => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", code, message.clone())
            }
            Unprocessable { code, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request_error", code, message.clone())
            }
            UnsupportedMediaType(m) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "invalid_request_error",
                "unsupported_media_type",
                m.clone(),
            ),
            TooLarge { code, message } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", code, message.clone())
            }
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                "a valid bearer token is required: send `Authorization: Bearer <key>`".into(),
            ),
            NotFound(m) => (StatusCode::NOT_FOUND, "not_found_error", "not_found", m.clone()),
            MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request_error",
                "method_not_allowed",
                m.clone(),
            ),
            Overloaded(m) => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "overloaded", m.clone())
            }
            NotReady(m) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable_error", "not_ready", m.clone())
            }
            Internal(m) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal", m.clone())
            }
        }
    }
}

impl ApiError {
    /// The answer in the Open Inference Protocol's shape, `{"error": message}`,
    /// with the same status code.
    pub fn into_protocol_v2(self) -> Response {
        let (status, _, _, message) = self.parts();
        (status, Json(json!({ "error": message }))).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, code, message) = self.parts();
        let body = json!({ "error": { "message": message, "type": kind, "code": code } });
        (status, Json(body)).into_response()
    }
}

impl From<inference::Error> for ApiError {
    fn from(err: inference::Error) -> Self {
        use inference::Error::*;
        match err {
            InputTooLong { .. } => Self::TooLarge {
                code: "input_too_long",
                message: format!("{err}; set `truncate` to cut it"),
            },
            Overloaded { .. } => Self::Overloaded(format!("{err}; retry later")),
            WorkerGone => Self::NotReady(err.to_string()),
            Tokenizer(_) => Self::unprocessable("untokenizable_input", err.to_string()),
            Read { .. } | Parse { .. } | Unsupported(_) | Candle(_) | Inference(_) => {
                Self::Internal(err.to_string())
            }
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge { code: "body_too_large", message: rejection.body_text() }
        } else {
            Self::InvalidJson(format!("cannot read the request body: {}", rejection.body_text()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_is_429_and_too_long_is_413() {
        let overloaded: ApiError = inference::Error::Overloaded { capacity: 4 }.into();
        assert_eq!(overloaded.parts().0, StatusCode::TOO_MANY_REQUESTS);
        let long: ApiError =
            inference::Error::InputTooLong { index: 2, tokens: 300, limit: 256 }.into();
        let (status, _, code, message) = long.parts();
        assert_eq!((status, code), (StatusCode::PAYLOAD_TOO_LARGE, "input_too_long"));
        assert!(message.contains("input 2 has 300 tokens"), "{message}");
    }
}
