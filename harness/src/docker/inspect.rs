//! Reading images and containers: an image's facts (inspect and history) and
//! whether a path exists in a container's filesystem (the archive endpoint,
//! which works on containers that never started).

use futures_util::StreamExt;
use testcontainers::bollard::query_parameters::DownloadFromContainerOptions;

use super::Engine;
use super::error::{Error, Result, api};
use crate::image::ImageFacts;

/// Runs `future` on a runtime of its own: the harness is blocking, bollard is not.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    Ok(runtime.block_on(future))
}

/// The facts of image `reference` on `engine`.
pub fn image_facts(engine: &Engine, reference: &str) -> Result<ImageFacts> {
    let client = engine.client()?;
    block_on(async {
        let inspect = client
            .inspect_image(reference)
            .await
            .map_err(api(format!("inspecting image {reference}")))?;
        let history = client
            .image_history(reference)
            .await
            .map_err(api(format!("reading the history of {reference}")))?;
        let inspect = serde_json::to_value(&inspect).map_err(|source| Error::Json {
            what: format!("the inspect answer of {reference}"),
            source,
        })?;
        let history = history.into_iter().map(|h| h.created_by).collect();
        Ok(ImageFacts::from_inspect(reference, &inspect, history))
    })?
}

/// What a one-shot container printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneShot {
    /// Its exit code.
    pub exit_code: i64,
    /// What it wrote to stdout.
    pub stdout: String,
    /// What it wrote to stderr.
    pub stderr: String,
}

/// Runs `command` in a container of `reference` (the image's entrypoint, this
/// run's labels, no device request, read-only root, no capabilities), waits for
/// it to exit, and removes it.
pub fn run_once(engine: &Engine, reference: &str, command: &[&str]) -> Result<OneShot> {
    use testcontainers::bollard::container::LogOutput;
    use testcontainers::bollard::models::{ContainerCreateBody, HostConfig};
    use testcontainers::bollard::query_parameters::{
        CreateContainerOptions, LogsOptions, RemoveContainerOptions, StartContainerOptions,
        WaitContainerOptions,
    };
    let client = engine.client()?;
    let labels = std::collections::HashMap::from(crate::run::labels());
    let body = ContainerCreateBody {
        image: Some(reference.to_owned()),
        cmd: Some(command.iter().map(|c| (*c).to_owned()).collect()),
        labels: Some(labels),
        host_config: Some(HostConfig {
            readonly_rootfs: Some(true),
            cap_drop: Some(vec!["ALL".to_owned()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    block_on(async {
        let id = client
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(api(format!("creating a container of {reference}")))?
            .id;
        let ran = async {
            client
                .start_container(&id, None::<StartContainerOptions>)
                .await
                .map_err(api(format!("starting a container of {reference}")))?;
            // The wait stream answers an error for a non-zero exit; the code is
            // read from the inspect answer either way.
            let _ = client.wait_container(&id, None::<WaitContainerOptions>).next().await;
            let state = client
                .inspect_container(&id, None)
                .await
                .map_err(api("inspecting the one-shot container"))?
                .state
                .unwrap_or_default();
            let options = LogsOptions { stdout: true, stderr: true, ..Default::default() };
            let mut logs = client.logs(&id, Some(options));
            let (mut stdout, mut stderr) = (String::new(), String::new());
            while let Some(Ok(piece)) = logs.next().await {
                match piece {
                    LogOutput::StdErr { message } => {
                        stderr.push_str(&String::from_utf8_lossy(&message))
                    }
                    other => stdout.push_str(&other.to_string()),
                }
            }
            Ok(OneShot { exit_code: state.exit_code.unwrap_or(-1), stdout, stderr })
        }
        .await;
        let force = RemoveContainerOptions { force: true, v: true, ..Default::default() };
        let _ = client.remove_container(&id, Some(force)).await;
        ran
    })?
}

/// Image `reference` as `docker save` writes it: one tar holding the image's
/// configuration, its manifest and a tar for each layer.
pub fn export_image(engine: &Engine, reference: &str) -> Result<Vec<u8>> {
    let client = engine.client()?;
    block_on(async {
        let mut stream = client.export_image(reference);
        let mut archive = Vec::new();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(api(format!("exporting image {reference}")))?;
            archive.extend_from_slice(&piece);
        }
        Ok(archive)
    })?
}

/// Whether `path` exists in container `id`'s filesystem.
pub fn path_exists(engine: &Engine, id: &str, path: &str) -> Result<bool> {
    let client = engine.client()?;
    block_on(async {
        let options = DownloadFromContainerOptions { path: path.to_owned() };
        let mut archive = client.download_from_container(id, Some(options));
        match archive.next().await {
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) if e.to_string().contains("404") => Ok(false),
            Some(Err(e)) => Err(api(format!("reading {path} in container {id}"))(e)),
            None => Ok(false),
        }
    })?
}
