//! The `image` target: an image read but not run. The harness creates a
//! container from it without starting it (labelled like every container of the
//! run, removed on drop) so its files can be looked at; nothing answers HTTP, so
//! only checks that need no more than the `image` capability apply.

use std::collections::HashMap;

use testcontainers::bollard::models::ContainerCreateBody;
use testcontainers::bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};

use super::{Error, ImageView, Result, Target};
use crate::check::Capability;
use crate::docker::{self, Engine, RUN_LABEL};
use crate::image::ImageFacts;

/// An image on the local engine, inspected.
#[derive(Debug)]
pub struct ImageTarget {
    engine: Engine,
    name: String,
    container: String,
}

impl ImageTarget {
    /// Creates (never starts) a container of `reference` on the engine
    /// [`docker::prepare`] found.
    pub fn open(reference: &str) -> Result<Self> {
        let engine = match docker::prepared() {
            Some(Ok(engine)) => engine.clone(),
            Some(Err(why)) => return Err(Error::Config(format!("--target image: {why}"))),
            None => {
                Engine::locate().map_err(|why| Error::Config(format!("--target image: {why}")))?
            }
        };
        let client = engine.client().map_err(Error::Start)?;
        let labels = HashMap::from([
            (RUN_LABEL.to_owned(), docker::run_id().to_owned()),
            (docker::PID_LABEL.to_owned(), std::process::id().to_string()),
        ]);
        let body = ContainerCreateBody {
            image: Some(reference.to_owned()),
            labels: Some(labels),
            ..Default::default()
        };
        let created =
            docker::block_on(client.create_container(None::<CreateContainerOptions>, body))
                .map_err(Error::Start)?
                .map_err(|e| Error::Config(format!("--target image={reference}: {e}")))?;
        Ok(Self { engine, name: format!("image={reference}"), container: created.id })
    }

    fn reference(&self) -> &str {
        &self.name["image=".len()..]
    }
}

impl Drop for ImageTarget {
    fn drop(&mut self) {
        if let Ok(client) = self.engine.client() {
            let force = RemoveContainerOptions { force: true, v: true, ..Default::default() };
            let _ = docker::block_on(client.remove_container(&self.container, Some(force)));
        }
    }
}

impl Target for ImageTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn base_url(&self) -> &str {
        // Never run, so nothing listens: port 9 (discard) refuses at once.
        "http://127.0.0.1:9"
    }

    fn capabilities(&self) -> &[Capability] {
        &[Capability::Image]
    }

    fn image(&self) -> Option<&dyn ImageView> {
        Some(self)
    }
}

impl ImageView for ImageTarget {
    fn facts(&self) -> std::result::Result<ImageFacts, String> {
        docker::image_facts(&self.engine, self.reference())
    }

    fn path_exists(&self, path: &str) -> std::result::Result<bool, String> {
        docker::path_exists(&self.engine, &self.container, path)
    }

    fn listening_port(&self) -> Option<u16> {
        None
    }
}
