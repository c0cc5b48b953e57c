//! Reading images and containers: an image's facts (inspect and history) and
//! whether a path exists in a container's filesystem (the archive endpoint,
//! which works on containers that never started).

use futures_util::StreamExt;
use testcontainers::bollard::query_parameters::DownloadFromContainerOptions;

use super::Engine;
use crate::image::ImageFacts;

/// Runs `future` on a runtime of its own: the harness is blocking, bollard is not.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a runtime for bollard: {e}"))?;
    Ok(runtime.block_on(future))
}

/// The facts of image `reference` on `engine`.
pub fn image_facts(engine: &Engine, reference: &str) -> Result<ImageFacts, String> {
    let client = engine.client()?;
    block_on(async {
        let inspect = client
            .inspect_image(reference)
            .await
            .map_err(|e| format!("inspecting image {reference}: {e}"))?;
        let history = client
            .image_history(reference)
            .await
            .map_err(|e| format!("reading the history of {reference}: {e}"))?;
        let inspect = serde_json::to_value(&inspect).map_err(|e| e.to_string())?;
        let history = history.into_iter().map(|h| h.created_by).collect();
        Ok(ImageFacts::from_inspect(reference, &inspect, history))
    })?
}

/// Image `reference` as `docker save` writes it: one tar holding the image's
/// configuration, its manifest and a tar for each layer.
pub fn export_image(engine: &Engine, reference: &str) -> Result<Vec<u8>, String> {
    let client = engine.client()?;
    block_on(async {
        let mut stream = client.export_image(reference);
        let mut archive = Vec::new();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| format!("exporting image {reference}: {e}"))?;
            archive.extend_from_slice(&piece);
        }
        Ok(archive)
    })?
}

/// Whether `path` exists in container `id`'s filesystem.
pub fn path_exists(engine: &Engine, id: &str, path: &str) -> Result<bool, String> {
    let client = engine.client()?;
    block_on(async {
        let options = DownloadFromContainerOptions { path: path.to_owned() };
        let mut archive = client.download_from_container(id, Some(options));
        match archive.next().await {
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) if e.to_string().contains("404") => Ok(false),
            Some(Err(e)) => Err(format!("reading {path} in container {id}: {e}")),
            None => Ok(false),
        }
    })?
}
