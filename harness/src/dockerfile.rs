//! Dockerfile rules: the hadolint checks that matter for an image built from
//! scratch (pinned bases and packages, a numeric non-root USER, a HEALTHCHECK,
//! no ADD of URLs, exec-form commands, the OCI labels), judged on the text so
//! no engine is needed.

use std::path::{Path, PathBuf};

use crate::image::REQUIRED_LABELS;

/// Every rule, with what it asks for.
pub const RULES: &[(&str, &str)] = &[
    (
        "dockerfile.from-pinned",
        "every FROM names scratch, an earlier stage, a tag other than latest, or a digest",
    ),
    (
        "dockerfile.packages-pinned",
        "apt-get, apk and pip installs name a version for every package",
    ),
    (
        "dockerfile.user-numeric",
        "the final stage sets USER to a numeric uid (and gid) other than 0",
    ),
    ("dockerfile.healthcheck", "the final stage declares a HEALTHCHECK"),
    ("dockerfile.no-add-url", "ADD never fetches a URL (COPY a verified download instead)"),
    (
        "dockerfile.exec-form",
        "ENTRYPOINT, CMD and HEALTHCHECK CMD use the exec (JSON array) form: a scratch image has no shell",
    ),
    (
        "dockerfile.labels-oci",
        "the final stage sets the OCI labels source, version, revision and created",
    ),
];

/// One problem, at one line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The Dockerfile.
    pub file: PathBuf,
    /// Its line, from 1 (the first line of the instruction).
    pub line: usize,
    /// The rule id.
    pub rule: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    /// `file:line: rule: message`.
    pub fn line(&self) -> String {
        format!("{}:{}: {}: {}", self.file.display(), self.line, self.rule, self.message)
    }
}

/// One instruction, continuation lines joined.
#[derive(Debug, Clone)]
struct Instruction {
    line: usize,
    keyword: String,
    args: String,
}

/// Reads `path` and applies every rule.
pub fn check_file(path: &Path) -> std::io::Result<Vec<Finding>> {
    Ok(check(path, &std::fs::read_to_string(path)?))
}

/// Applies every rule to the Dockerfile `text` (named `path` in findings).
pub fn check(path: &Path, text: &str) -> Vec<Finding> {
    let instructions = parse(text);
    let mut out = Vec::new();
    let mut finding = |line: usize, rule: &'static str, message: String| {
        out.push(Finding { file: path.to_owned(), line, rule, message });
    };
    let mut args: Vec<(String, String)> = Vec::new();
    let mut stages: Vec<String> = Vec::new();
    let mut last_from = None;
    for (i, ins) in instructions.iter().enumerate() {
        match ins.keyword.as_str() {
            "ARG" if last_from.is_none() => {
                if let Some((name, value)) = ins.args.split_once('=') {
                    args.push((name.trim().to_owned(), value.trim().trim_matches('"').to_owned()));
                }
            }
            "FROM" => {
                last_from = Some(i);
                let words: Vec<&str> =
                    ins.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
                let image = expand(words.first().copied().unwrap_or_default(), &args);
                if let Some(why) = unpinned(&image, &stages) {
                    finding(ins.line, "dockerfile.from-pinned", why);
                }
                if let (Some(as_), Some(name)) = (words.get(1), words.get(2))
                    && as_.eq_ignore_ascii_case("as")
                {
                    stages.push(name.to_ascii_lowercase());
                }
            }
            "ADD" => {
                for source in ins.args.split_whitespace().filter(|w| !w.starts_with("--")) {
                    if source.starts_with("http://") || source.starts_with("https://") {
                        finding(
                            ins.line,
                            "dockerfile.no-add-url",
                            format!(
                                "ADD {source} fetches a URL at build time, unverified; download and check it, then COPY"
                            ),
                        );
                    }
                }
            }
            "RUN" => {
                for unpinned in unpinned_packages(&ins.args) {
                    finding(ins.line, "dockerfile.packages-pinned", unpinned);
                }
            }
            _ => {}
        }
    }
    let final_stage = &instructions[last_from.map_or(0, |i| i + 1)..];
    let last = |keyword: &str| final_stage.iter().rev().find(|i| i.keyword == keyword);
    let end = instructions.last().map_or(1, |i| i.line);
    match last("USER") {
        None => finding(
            end,
            "dockerfile.user-numeric",
            "the final stage sets no USER, so the container runs as root".into(),
        ),
        Some(user) => {
            let spec = user.args.trim();
            let (uid, gid) = spec.split_once(':').map_or((spec, None), |(u, g)| (u, Some(g)));
            let numeric = |s: &str| s.parse::<u32>().ok();
            match (numeric(uid), gid.map(numeric)) {
                (Some(0), _) => {
                    finding(user.line, "dockerfile.user-numeric", "USER 0 is root".into())
                }
                (None, _) | (_, Some(None)) => finding(
                    user.line,
                    "dockerfile.user-numeric",
                    format!(
                        "USER {spec} is not numeric: runAsNonRoot cannot verify a name, and a scratch image has no /etc/passwd"
                    ),
                ),
                _ => {}
            }
        }
    }
    match last("HEALTHCHECK") {
        None => {
            finding(end, "dockerfile.healthcheck", "the final stage declares no HEALTHCHECK".into())
        }
        Some(h) if h.args.trim().eq_ignore_ascii_case("NONE") => {
            finding(
                h.line,
                "dockerfile.healthcheck",
                "HEALTHCHECK NONE turns the check off".into(),
            );
        }
        Some(h) => {
            let command = h.args.split_once("CMD").map(|(_, c)| c.trim()).unwrap_or_default();
            if !command.starts_with('[') {
                finding(
                    h.line,
                    "dockerfile.exec-form",
                    format!(
                        "HEALTHCHECK CMD {command} is shell form; a scratch image has no shell to run it"
                    ),
                );
            }
        }
    }
    for keyword in ["ENTRYPOINT", "CMD"] {
        if let Some(ins) = last(keyword)
            && !ins.args.trim_start().starts_with('[')
        {
            finding(
                ins.line,
                "dockerfile.exec-form",
                format!(
                    "{keyword} {} is shell form: it needs /bin/sh and keeps SIGTERM from the service",
                    ins.args.trim()
                ),
            );
        }
    }
    let labels: String = final_stage
        .iter()
        .filter(|i| i.keyword == "LABEL")
        .map(|i| format!("{} ", i.args))
        .collect();
    let missing: Vec<&str> =
        REQUIRED_LABELS.iter().copied().filter(|l| !labels.contains(&format!("{l}="))).collect();
    if !missing.is_empty() {
        finding(
            end,
            "dockerfile.labels-oci",
            format!("the final stage lacks the labels {}", missing.join(", ")),
        );
    }
    out.sort_by_key(|f| (f.line, f.rule));
    out
}

/// The instructions of `text`: comments and blank lines dropped, continuation
/// lines joined, each with the line it starts on.
fn parse(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_none()) {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        let entry = current.get_or_insert_with(|| (n + 1, String::new()));
        entry.1.push_str(body);
        entry.1.push(' ');
        if !continues {
            let (start, text) = current.take().expect("an instruction in progress");
            let text = text.trim();
            let (keyword, args) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            out.push(Instruction {
                line: start,
                keyword: keyword.to_ascii_uppercase(),
                args: args.trim().to_owned(),
            });
        }
    }
    out
}

/// `${NAME}` and `$NAME` replaced by the ARG defaults declared before the first FROM.
fn expand(text: &str, args: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("${{{name}}}"), value).replace(&format!("${name}"), value);
    }
    out
}

/// Why a FROM image is not pinned, if it is not.
fn unpinned(image: &str, stages: &[String]) -> Option<String> {
    if image.eq_ignore_ascii_case("scratch")
        || stages.contains(&image.to_ascii_lowercase())
        || image.contains('@')
    {
        return None;
    }
    if image.contains('$') {
        return Some(format!("FROM {image} names its base through a variable without a default"));
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => {
            Some(format!("FROM {image} has no tag, so it builds on whatever :latest is that day"))
        }
        Some((_, "latest")) => Some(format!("FROM {image} builds on the moving tag latest")),
        Some(_) => None,
    }
}

/// The packages a RUN line installs without a version, one message each.
fn unpinned_packages(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    for command in run.split(['&', ';', '|']) {
        let words: Vec<&str> = command.split_whitespace().collect();
        let (manager, start, pinned): (&str, usize, fn(&str) -> bool) =
            match words.iter().position(|w| *w == "install" || *w == "add") {
                Some(i) if i > 0 && words[i - 1].ends_with("apt-get") && words[i] == "install" => {
                    ("apt-get", i + 1, |p| p.contains('='))
                }
                Some(i) if i > 0 && words[i - 1] == "apt" && words[i] == "install" => {
                    ("apt", i + 1, |p| p.contains('='))
                }
                Some(i) if i > 0 && words[i - 1] == "apk" && words[i] == "add" => {
                    ("apk", i + 1, |p| p.contains('='))
                }
                Some(i) if i > 0 && words[i - 1].starts_with("pip") && words[i] == "install" => {
                    ("pip", i + 1, |p| p.contains("==") || p.contains('@') || p.ends_with(".whl"))
                }
                _ => continue,
            };
        for package in words[start..].iter().filter(|w| !w.starts_with('-')) {
            if !pinned(package) && !package.starts_with('/') && !package.starts_with('.') {
                out.push(format!(
                    "{manager} installs {package} without a version, so rebuilds drift"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<&'static str> {
        check(Path::new("Dockerfile"), text).iter().map(|f| f.rule).collect()
    }

    const GOOD: &str = r#"FROM scratch
LABEL org.opencontainers.image.source="s" org.opencontainers.image.version="1" \
      org.opencontainers.image.revision="r" org.opencontainers.image.created="c"
USER 65532:65532
HEALTHCHECK --interval=5s CMD ["/app", "probe"]
ENTRYPOINT ["/app"]
CMD ["serve"]
"#;

    #[test]
    fn a_scratch_image_done_right_passes() {
        assert!(rules(GOOD).is_empty(), "{:?}", check(Path::new("Dockerfile"), GOOD));
    }

    #[test]
    fn continuation_lines_keep_the_first_line_number() {
        let ins = parse("# c\nFROM a:1 \\\n  AS b\n\nRUN x\n");
        assert_eq!(
            (ins[0].line, ins[0].keyword.as_str(), ins[0].args.as_str()),
            (2, "FROM", "a:1  AS b")
        );
        assert_eq!(ins[1].line, 5);
    }

    #[test]
    fn bases_and_packages_must_be_pinned() {
        assert_eq!(unpinned("scratch", &[]), None);
        assert_eq!(unpinned("debian:12.8", &[]), None);
        assert_eq!(unpinned("build", &["build".into()]), None);
        assert_eq!(unpinned("registry:5000/img@sha256:ab", &[]), None);
        assert!(unpinned("registry:5000/img", &[]).unwrap().contains("no tag"));
        assert!(unpinned("img:latest", &[]).unwrap().contains("latest"));
        assert_eq!(
            unpinned_packages(
                "apt-get update && apt-get install -y curl=7.88 ca-certificates=2023"
            ),
            Vec::<String>::new()
        );
        assert_eq!(unpinned_packages("apk add --no-cache tini").len(), 1);
        assert_eq!(unpinned_packages("pip install requests==2.32 numpy").len(), 1);
    }

    #[test]
    fn arg_defaults_pin_a_base() {
        let text = GOOD.replace("FROM scratch", "ARG BASE=debian:12.8\nFROM ${BASE}");
        assert!(rules(&text).is_empty(), "{:?}", rules(&text));
        let text = GOOD.replace("FROM scratch", "FROM ${BASE}");
        assert_eq!(rules(&text), ["dockerfile.from-pinned"]);
    }

    #[test]
    fn the_final_stage_is_judged() {
        let text = format!(
            "FROM rust:1.95 AS build\nUSER 0\n{}",
            GOOD.replace("FROM scratch", "FROM build")
        );
        assert!(rules(&text).is_empty(), "{:?}", rules(&text));
    }
}
