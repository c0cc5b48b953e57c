//! Helm charts: `helm template` renders the chart for the Kubernetes version
//! being validated, and each rendered document is attributed to the template
//! it came from (helm's `# Source:` comment). A render that fails is an error,
//! never zero findings; without helm on PATH the run stops and says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Error;
use super::load::{Loaded, documents, parse_into};

/// A chart to render.
#[derive(Debug, Clone)]
pub struct Helm {
    /// The chart folder.
    pub chart: PathBuf,
    /// `--values` files, in order.
    pub values: Vec<PathBuf>,
    /// `--set` assignments, in order.
    pub set: Vec<String>,
    /// The Kubernetes version the chart is rendered for (`1.37`).
    pub kube_version: String,
}

impl Helm {
    /// The program: `GAUNTLET_HELM`, else `helm` on PATH.
    pub fn program() -> PathBuf {
        std::env::var_os("GAUNTLET_HELM").map_or_else(|| PathBuf::from("helm"), PathBuf::from)
    }

    /// The arguments of `helm template`.
    pub fn args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec![
            "template".into(),
            "gauntlet".into(),
            self.chart.clone().into(),
            "--kube-version".into(),
            format!("{}.0", self.kube_version).into(),
        ];
        for file in &self.values {
            args.push("--values".into());
            args.push(file.clone().into());
        }
        for assignment in &self.set {
            args.push("--set".into());
            args.push(assignment.into());
        }
        args
    }
}

/// Renders `helm` and reads what it rendered into `out`.
pub fn render(helm: &Helm, out: &mut Loaded) -> Result<(), Error> {
    let program = Helm::program();
    let output = Command::new(&program).args(helm.args()).output().map_err(|source| {
        Error::NoHelm { chart: helm.chart.clone(), program: program.clone(), source }
    })?;
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(Error::Helm {
            chart: helm.chart.clone(),
            message: if message.is_empty() {
                format!("helm exited with {}", output.status)
            } else {
                message
            },
        });
    }
    let text = String::from_utf8(output.stdout).map_err(|e| Error::Helm {
        chart: helm.chart.clone(),
        message: format!("its output is not UTF-8: {e}"),
    })?;
    read_rendered(&helm.chart, &text, out);
    if out.documents.is_empty() && out.broken.is_empty() {
        return Err(Error::Helm {
            chart: helm.chart.clone(),
            message: "helm template rendered no object".into(),
        });
    }
    Ok(())
}

/// Reads helm's output, each document under the template file it came from.
pub fn read_rendered(chart: &Path, text: &str, out: &mut Loaded) {
    let mut sources: Vec<(PathBuf, String)> = Vec::new();
    for (_, chunk) in documents(text) {
        let source = chunk
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(|s| {
                // `chart-name/templates/x.yaml`: the chart's name, then the path in it.
                let inside = s.trim().split_once('/').map_or(s.trim(), |(_, rest)| rest);
                chart.join(inside)
            })
            .unwrap_or_else(|| chart.to_owned());
        match sources.iter_mut().find(|(path, _)| *path == source) {
            Some((_, text)) => text.push_str(chunk),
            None => sources.push((source, chunk.to_owned())),
        }
    }
    for (path, text) in sources {
        parse_into(&path, &text, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_template_is_asked_for_the_version_with_values_and_sets_in_order() {
        let helm = Helm {
            chart: PathBuf::from("charts/web"),
            values: vec![PathBuf::from("a.yaml"), PathBuf::from("b.yaml")],
            set: vec!["image.tag=1.2".into(), "replicas=3".into()],
            kube_version: "1.30".into(),
        };
        let args: Vec<String> =
            helm.args().iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            [
                "template",
                "gauntlet",
                "charts/web",
                "--kube-version",
                "1.30.0",
                "--values",
                "a.yaml",
                "--values",
                "b.yaml",
                "--set",
                "image.tag=1.2",
                "--set",
                "replicas=3"
            ]
        );
    }

    #[test]
    fn each_rendered_document_is_filed_under_its_template() {
        let text = "---\n# Source: web/templates/service.yaml\nkind: Service\n---\n# Source: web/templates/deploy.yaml\nkind: Deployment\n---\n# Source: web/templates/service.yaml\nkind: Service\nmetadata: {name: b}\n";
        let mut out = Loaded::default();
        read_rendered(Path::new("charts/web"), text, &mut out);
        let docs: Vec<(String, usize, &str)> = out
            .documents
            .iter()
            .map(|d| (d.file.display().to_string(), d.index, d.kind()))
            .collect();
        assert_eq!(
            docs,
            [
                ("charts/web/templates/service.yaml".to_owned(), 0, "Service"),
                ("charts/web/templates/service.yaml".to_owned(), 1, "Service"),
                ("charts/web/templates/deploy.yaml".to_owned(), 0, "Deployment"),
            ]
        );
    }
}
