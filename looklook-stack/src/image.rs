//! Images through the engine's API: build one from a context archive and a
//! Dockerfile in it, push one to its registry. Docker and Podman's
//! compatible service both answer; neither needs its command-line tool.

use std::collections::HashMap;
use std::time::Instant;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{BuildImageOptions, PushImageOptions, TagImageOptions};
use bytes::Bytes;
use futures_util::StreamExt;

use super::Event;
use super::docker::DockerError;

/// One image to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// `repository:tag`, as it will be named.
    pub image: String,
    /// A tar archive of the build context.
    pub context: Bytes,
    /// The Dockerfile's path inside the context.
    pub dockerfile: String,
    /// `ARG`s of the Dockerfile to set.
    pub args: HashMap<String, String>,
}

/// Build `request.image` and return its id. Each line the builder prints
/// comes as an [`Event::Output`]; a failed step is an error with the
/// builder's last lines.
pub async fn build(
    docker: &Docker,
    request: BuildRequest,
    on: &mut dyn FnMut(Event),
) -> Result<String, DockerError> {
    let image = request.image.clone();
    on(Event::Building {
        image: image.clone(),
    });
    let started = Instant::now();
    let (repository, tag) = split_tag(&image);
    let options = BuildImageOptions {
        dockerfile: request.dockerfile,
        // Podman names the image from `t` but drops its tag (as its import
        // does); the tag is set again below, which both engines accept.
        t: Some(image.clone()),
        buildargs: Some(request.args),
        rm: true,
        forcerm: true,
        ..Default::default()
    };
    let failed = |detail: String| DockerError::Build {
        image: image.clone(),
        detail,
    };
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(request.context)));
    let mut tail: Vec<String> = Vec::new();
    let mut id = None;
    while let Some(info) = stream.next().await {
        let info = info.map_err(|e| failed(with_tail(&tail, &e.to_string())))?;
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            return Err(failed(with_tail(&tail, &message)));
        }
        if let Some(aux) = info.aux.and_then(|a| a.id) {
            id = Some(aux);
        }
        for line in info.stream.iter().flat_map(|s| s.lines()) {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            tail.push(line.to_string());
            if tail.len() > 20 {
                tail.remove(0);
            }
            on(Event::Output {
                image: image.clone(),
                line: line.to_string(),
            });
        }
    }
    docker
        .tag_image(
            &image,
            Some(TagImageOptions {
                repo: Some(repository.to_string()),
                tag: Some(tag.to_string()),
            }),
        )
        .await
        .map_err(|e| failed(format!("naming it {image}: {e}")))?;
    let id = match id {
        Some(id) => id,
        None => docker
            .inspect_image(&image)
            .await
            .ok()
            .and_then(|i| i.id)
            .unwrap_or_default(),
    };
    on(Event::Built {
        image,
        id: id.clone(),
        after: started.elapsed(),
    });
    Ok(id)
}

/// Push `image` (`registry/repository:tag`) to its registry, and return the
/// digest the registry reports. `credentials` for a registry that wants
/// them; none for one that does not.
pub async fn push(
    docker: &Docker,
    image: &str,
    credentials: Option<DockerCredentials>,
    on: &mut dyn FnMut(Event),
) -> Result<Option<String>, DockerError> {
    on(Event::Pushing {
        image: image.to_string(),
    });
    let started = Instant::now();
    let failed = |detail: String| DockerError::Push {
        image: image.to_string(),
        detail,
    };
    docker
        .inspect_image(image)
        .await
        .map_err(|_| failed("there is no such image here: build it first".into()))?;
    let (repository, tag) = split_tag(image);
    let mut stream = docker.push_image(
        repository,
        Some(PushImageOptions {
            tag: Some(tag.to_string()),
            ..Default::default()
        }),
        credentials,
    );
    let mut digest = None;
    let mut last = String::new();
    while let Some(info) = stream.next().await {
        let info = info.map_err(|e| failed(e.to_string()))?;
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            return Err(failed(message));
        }
        let Some(status) = info.status else { continue };
        // Docker ends with `<tag>: digest: sha256:… size: N`; Podman
        // prints `Writing manifest…` and no digest.
        if let Some(rest) = status.split("digest: ").nth(1) {
            digest = rest.split_whitespace().next().map(str::to_string);
        }
        // Byte counts repeat one status many times: each is shown once.
        if status != last {
            on(Event::Output {
                image: image.to_string(),
                line: status.trim_end().to_string(),
            });
            last = status;
        }
    }
    on(Event::Pushed {
        image: image.to_string(),
        digest: digest.clone(),
        after: started.elapsed(),
    });
    Ok(digest)
}

/// `host:5000/a/b:tag` → (`host:5000/a/b`, `tag`); no tag is `latest`. A
/// colon before the last slash is a registry's port, not a tag.
pub fn split_tag(image: &str) -> (&str, &str) {
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(i) => (&image[..name_start + i], &image[name_start + i + 1..]),
        None => (image, "latest"),
    }
}

fn with_tail(tail: &[String], message: &str) -> String {
    if tail.is_empty() {
        return message.to_string();
    }
    format!("{message}\nthe builder's last lines:\n{}", tail.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_is_not_a_tag() {
        assert_eq!(
            split_tag("127.0.0.1:5000/shop/catalog-api:1a2b3c4"),
            ("127.0.0.1:5000/shop/catalog-api", "1a2b3c4")
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/shop/catalog-api"),
            ("127.0.0.1:5000/shop/catalog-api", "latest")
        );
        assert_eq!(split_tag("catalog-api:v1"), ("catalog-api", "v1"));
    }
}
