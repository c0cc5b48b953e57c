//! The `url` target: anything already running, such as another vendor's server
//! or a staging deployment. It can only be reached, not steered.

use super::{Error, Http, Result, Target};

/// A service at a fixed base URL.
#[derive(Debug)]
pub struct UrlTarget {
    name: String,
    base: String,
}

impl UrlTarget {
    /// Checks that `base` is an http(s) URL and that something answers there.
    pub fn connect(base: &str) -> Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Config(format!(
                "--target url={base}: the URL must start with http:// or https://"
            )));
        }
        crate::http::client()
            .get(&base)
            .send()
            .map_err(|e| Error::Config(format!("--target url={base}: unreachable: {e}")))?;
        Ok(Self { name: format!("url={base}"), base })
    }
}

impl Target for UrlTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn http(&self) -> Option<Http<'_>> {
        Some(Http::new(&self.base))
    }
}
