//! `--target` arguments: what each names ([`Spec`], parsed with `FromStr`) and
//! how to open it. The `gauntlet` binary and the conformance test binary share
//! this, so a target means the same everywhere.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::{
    ContainerConfig, ContainerTarget, Error, ImageTarget, KubeConfig, KubeTarget, ProcessConfig,
    ProcessTarget, Result, ServiceImage, Target, UrlTarget,
};
use crate::docker;
use crate::image::ImageSpec;
use crate::profile::Profile;

/// A target as `--target` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// `process`: start `gauntlet-service` here.
    Process,
    /// `url=<base URL>`: a service already running.
    Url(String),
    /// `container[=IMAGE]`: start an image on the local Docker engine (default
    /// `gauntlet-service:dev`, built first when missing).
    Container(Option<String>),
    /// `image=IMAGE`: read an image without running it.
    Image(String),
    /// `kube[=CONTEXT]`: deploy the profile's manifests to a cluster (default:
    /// the current kube-context).
    Kube(Option<String>),
}

/// How to open a target beyond what its spec names.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `--target kube`: the image to deploy instead of the manifests' own.
    pub image: Option<String>,
    /// `--target container`: request every GPU (`docker run --gpus all`).
    pub gpus: bool,
}

impl FromStr for Spec {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let value = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        match text.split_once('=') {
            None if text == "process" => Ok(Self::Process),
            None if text == "container" => Ok(Self::Container(None)),
            None if text == "kube" => Ok(Self::Kube(None)),
            Some(("url", base)) if !base.is_empty() => Ok(Self::Url(base.to_owned())),
            Some(("container", image)) => Ok(Self::Container(value(image))),
            Some(("image", reference)) if !reference.is_empty() => {
                Ok(Self::Image(reference.to_owned()))
            }
            Some(("kube", context)) => Ok(Self::Kube(value(context))),
            _ => Err(Error::Config(format!(
                "--target {text}: unknown target (use `process`, `url=<base URL>`, \
                 `container[=IMAGE]`, `image=IMAGE` or `kube[=CONTEXT]`)"
            ))),
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Process => f.write_str("process"),
            Self::Url(base) => write!(f, "url={base}"),
            Self::Container(None) => f.write_str("container"),
            Self::Container(Some(image)) => write!(f, "container={image}"),
            Self::Image(reference) => write!(f, "image={reference}"),
            Self::Kube(None) => f.write_str("kube"),
            Self::Kube(Some(context)) => write!(f, "kube={context}"),
        }
    }
}

impl Spec {
    /// Whether opening it starts containers through testcontainers (so the
    /// program must run [`docker::behind_shim`] first on an older engine).
    pub fn uses_testcontainers(&self) -> bool {
        matches!(self, Self::Container(_))
    }

    /// Opens the target under `profile`: starts, connects or deploys it. A
    /// configuration error (exit code 2) says which setting is wrong; a service
    /// that does not come up is [`Error::Start`].
    pub fn open(&self, profile: &Profile, options: &OpenOptions) -> Result<Arc<dyn Target>> {
        if options.gpus && !matches!(self, Self::Container(_)) {
            return Err(Error::Config(format!(
                "--gpus: only the container target requests GPUs (not --target {self})"
            )));
        }
        match self {
            Self::Process => Ok(Arc::new(ProcessTarget::start(&ProcessConfig::locate()?)?)),
            Self::Url(base) => Ok(Arc::new(UrlTarget::connect(base)?)),
            Self::Container(image) => open_container(image.as_deref(), profile, options.gpus),
            Self::Image(reference) => {
                let engine =
                    docker::connect().map_err(|e| Error::unavailable("--target image", e))?;
                Ok(Arc::new(ImageTarget::open(&engine, reference)?))
            }
            Self::Kube(context) => open_kube(context.clone(), profile, options.image.clone()),
        }
    }
}

/// Starts the container target; the default image is built first when missing.
fn open_container(image: Option<&str>, profile: &Profile, gpus: bool) -> Result<Arc<dyn Target>> {
    let engine = docker::connect().map_err(|e| Error::unavailable("--target container", e))?;
    let image = image.map(ServiceImage::from_reference).unwrap_or_default();
    if !docker::image_exists(&engine, &image.reference()) {
        if image.reference() != ServiceImage::default().reference() {
            return Err(Error::Config(format!(
                "--target container={}: no such image on the Docker engine (nothing is pulled)",
                image.reference()
            )));
        }
        let process = ProcessConfig::locate()?;
        eprintln!("gauntlet: building {} first", image.reference());
        ImageSpec::for_checkout(process.binary, process.model_dir)
            .and_then(|spec| crate::image::build(&spec))
            .map_err(|e| Error::Start(format!("building {}: {e}", image.reference())))?;
    }
    let memory_limit = i64::try_from(profile.thresholds.memory_limit).unwrap_or(i64::MAX);
    let config = ContainerConfig { image, gpus, memory_limit, ..ContainerConfig::default() };
    Ok(Arc::new(ContainerTarget::start(&engine, &config)?))
}

/// Deploys the profile's manifests to the cluster of `context` (default: the
/// current one); without a reachable cluster this is a configuration error that
/// says `not applicable: no cluster`.
fn open_kube(
    context: Option<String>,
    profile: &Profile,
    image: Option<String>,
) -> Result<Arc<dyn Target>> {
    let Some(manifests) = profile.manifests.clone() else {
        return Err(Error::Config(format!(
            "--target kube: the profile {} names no manifests (`manifests:`) to deploy",
            profile.name
        )));
    };
    crate::run::handle_interrupts();
    let config = KubeConfig { image, ..KubeConfig::new(context, manifests) };
    Ok(Arc::new(KubeTarget::start(&config)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_reads_back_as_written() {
        for text in [
            "process",
            "url=http://127.0.0.1:8080",
            "container",
            "container=gauntlet-service:0.1.0",
            "image=gauntlet-service:dev",
            "kube",
            "kube=kind-gauntlet",
        ] {
            let spec: Spec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn unknown_or_empty_specs_are_configuration_errors_naming_the_argument() {
        for text in ["bogus", "url=", "image=", "proc", "container:x"] {
            match text.parse::<Spec>() {
                Err(Error::Config(m)) => assert!(m.contains(&format!("--target {text}")), "{m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn gpus_are_refused_on_every_target_but_a_container() {
        let options = OpenOptions { gpus: true, ..OpenOptions::default() };
        match Spec::Process.open(&Profile::default(), &options) {
            Err(Error::Config(m)) => assert!(m.contains("--gpus"), "{m}"),
            other => panic!("{:?}", other.map(|t| t.name().to_owned())),
        }
    }
}
