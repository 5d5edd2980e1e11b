//! Making sure an image is present locally, pulling it with progress when it is not.

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures::StreamExt;

/// One progress message of a pull.
#[derive(Debug, Clone, PartialEq)]
pub struct PullUpdate {
    /// Layer id, when the message is about one layer.
    pub layer: Option<String>,
    /// Docker's status text ("Pulling fs layer", "Downloading", "Pull complete", …).
    pub status: String,
    /// Bytes done for this layer.
    pub current: Option<i64>,
    /// Layer size.
    pub total: Option<i64>,
}

/// Split "repo[:tag]" into the pull API's `fromImage` and `tag` (a registry port is not a tag).
pub fn split_reference(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (image[..at].to_string(), image[at + 1..].to_string())
        }
        None => (image.to_string(), "latest".to_string()),
    }
}

/// True when `image` exists locally.
pub async fn is_present(docker: &Docker, image: &str) -> Result<bool, String> {
    match docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(err) => Err(format!("cannot inspect image `{image}`: {err}")),
    }
}

/// Pull `image`, calling `progress` for every message; the error explains what to do.
pub async fn pull(
    docker: &Docker,
    image: &str,
    mut progress: impl FnMut(PullUpdate),
) -> Result<(), String> {
    let (from, tag) = split_reference(image);
    let mut builder = CreateImageOptionsBuilder::default().from_image(&from);
    if !tag.is_empty() {
        builder = builder.tag(&tag);
    }
    let mut stream = docker.create_image(Some(builder.build()), None, None);
    let explain = |detail: String| {
        format!(
            "cannot pull image `{image}`: {detail}. Check the image name and that its registry is reachable (and logged in, for private images), or make it available locally (`docker pull {image}`, `docker load`), or set a different `isolation.image`"
        )
    };
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| explain(e.to_string()))?;
        if let Some(detail) = info.error_detail.as_ref().and_then(|d| d.message.clone()) {
            return Err(explain(detail));
        }
        let detail = info.progress_detail.unwrap_or_default();
        progress(PullUpdate {
            layer: info.id,
            status: info.status.unwrap_or_default(),
            current: detail.current,
            total: detail.total,
        });
    }
    match is_present(docker, image).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(explain(
            "the pull finished but the image is still missing".into(),
        )),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references() {
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(split_reference("node:20"), s("node", "20"));
        assert_eq!(split_reference("node"), s("node", "latest"));
        assert_eq!(
            split_reference("localhost:5000/team/img"),
            s("localhost:5000/team/img", "latest")
        );
        assert_eq!(
            split_reference("ghcr.io/astral-sh/uv:python3.11-bookworm"),
            s("ghcr.io/astral-sh/uv", "python3.11-bookworm")
        );
        assert_eq!(split_reference("a/b@sha256:00"), s("a/b@sha256:00", ""));
    }
}
