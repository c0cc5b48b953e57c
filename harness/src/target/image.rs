//! The `image` target: an image read but not run. The harness creates a
//! container from it without starting it (labelled like every container of the
//! run, removed on drop) so its files can be looked at; nothing answers HTTP, so
//! only checks that need no more than the `image` capability apply.

use std::collections::HashMap;

use testcontainers::bollard::models::ContainerCreateBody;
use testcontainers::bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};

use super::{Error, ImageView, Result, Target};
use crate::docker::{self, Engine};
use crate::image::ImageFacts;

/// An image on the local engine, inspected.
#[derive(Debug)]
pub struct ImageTarget {
    engine: Engine,
    name: String,
    container: String,
}

impl ImageTarget {
    /// Creates (never starts) a container of `reference` on `engine`.
    pub fn open(engine: &Engine, reference: &str) -> Result<Self> {
        let engine = engine.clone();
        let client = engine.client()?;
        let labels = HashMap::from(crate::run::labels());
        let body = ContainerCreateBody {
            image: Some(reference.to_owned()),
            labels: Some(labels),
            ..Default::default()
        };
        let created =
            docker::block_on(client.create_container(None::<CreateContainerOptions>, body))?
                .map_err(|e| Error::unavailable(format!("--target image={reference}"), e))?;
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

    fn image(&self) -> Option<&dyn ImageView> {
        Some(self)
    }
}

impl ImageView for ImageTarget {
    fn facts(&self) -> Result<ImageFacts> {
        Ok(docker::image_facts(&self.engine, self.reference())?)
    }

    fn path_exists(&self, path: &str) -> Result<bool> {
        Ok(docker::path_exists(&self.engine, &self.container, path)?)
    }

    fn listening_port(&self) -> Option<u16> {
        None
    }
}
