//! Secrets by pattern: private keys, cloud and forge tokens, and assignments of
//! values to names that say password, secret, token or key. Used on image
//! environments and histories (and, by `cargo xtask validate`, on files).

/// One thing that looks like a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which rule matched.
    pub rule: &'static str,
    /// The matching text with all but its first four characters masked.
    pub excerpt: String,
}

/// Names whose values are secrets when set (compared case-insensitively, as
/// parts of a `NAME=value` or `NAME: value` pair).
const SECRET_NAMES: &[&str] =
    &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY"];

/// Prefixes of well-known credential formats, with the least length of the
/// token after them and the characters it is made of.
const TOKEN_PREFIXES: &[(&str, &str, usize)] = &[
    ("aws-access-key-id", "AKIA", 16),
    ("github-token", "ghp_", 30),
    ("github-token", "gho_", 30),
    ("github-token", "ghs_", 30),
    ("github-token", "github_pat_", 30),
    ("slack-token", "xoxb-", 10),
    ("slack-token", "xoxp-", 10),
    ("openai-key", "sk-", 20),
];

/// Every finding in `text`.
pub fn scan(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        found.push(Finding {
            rule: "private-key",
            excerpt: "-----BEGIN ... PRIVATE KEY-----".into(),
        });
    }
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | ';'))
    {
        for (rule, prefix, least) in TOKEN_PREFIXES {
            if let Some(rest) = word.strip_prefix(prefix) {
                let body = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    .count();
                if body >= *least {
                    found.push(Finding { rule, excerpt: mask(word) });
                }
            }
        }
    }
    for line in text.lines() {
        for pair in line.split_whitespace() {
            let Some((name, value)) = pair.split_once('=').or_else(|| pair.split_once(':')) else {
                continue;
            };
            let upper = name.trim_start_matches("--").to_ascii_uppercase().replace('-', "_");
            let value = value.trim_matches(|c| c == '"' || c == '\'');
            if SECRET_NAMES.iter().any(|s| upper.ends_with(s)) && !placeholder(value) {
                found.push(Finding {
                    rule: "secret-assignment",
                    excerpt: format!("{name}={}", mask(value)),
                });
            }
        }
    }
    found
}

/// Values that hold no secret: empty, a reference to another variable or file,
/// or an obvious placeholder.
fn placeholder(value: &str) -> bool {
    value.is_empty()
        || value.starts_with('$')
        || value.starts_with('/')
        || matches!(
            value.to_ascii_lowercase().as_str(),
            "changeme" | "xxx" | "<redacted>" | "none" | "null"
        )
}

fn mask(text: &str) -> String {
    let shown: String = text.chars().take(4).collect();
    format!("{shown}{}", "*".repeat(text.chars().count().saturating_sub(4).min(12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        scan(text).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn finds_keys_tokens_and_assignments() {
        assert_eq!(rules("-----BEGIN RSA PRIVATE KEY-----\nMIIE..."), ["private-key"]);
        assert_eq!(rules("AWS=AKIAIOSFODNN7EXAMPLE"), ["aws-access-key-id"]);
        assert_eq!(rules("token ghp_abcdefghijklmnopqrstuvwxyz0123456789"), ["github-token"]);
        assert_eq!(rules("DB_PASSWORD=hunter2"), ["secret-assignment"]);
        assert_eq!(rules("ENV GAUNTLET_API_KEY=s3cr3t"), ["secret-assignment"]);
        assert_eq!(rules("--api-key=s3cr3t"), ["secret-assignment"]);
    }

    #[test]
    fn leaves_ordinary_settings_and_placeholders_alone() {
        for text in [
            "GAUNTLET_PORT=8080",
            "PATH=/usr/local/bin:/usr/bin",
            "GAUNTLET_API_KEY=",
            "API_KEY=$API_KEY",
            "TOKEN_FILE=/run/secrets/token",
            "PASSWORD=changeme",
            "max_batch_tokens=16384",
            "/bin/sh -c #(nop)  ENV GAUNTLET_HOST=0.0.0.0 GAUNTLET_PORT=8080",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn excerpts_are_masked() {
        let found = scan("DB_PASSWORD=hunter2hunter2");
        assert_eq!(found[0].excerpt, "DB_PASSWORD=hunt**********");
    }
}
