//! One server container: create, attach stdin/stdout/stderr, start; stop and remove.

use super::plan::IsolationPlan;
use crate::upstream::logfile::ServerLog;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use std::collections::HashMap;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt, DuplexStream};

/// Buffer between the container's stdout and the MCP transport.
const STDOUT_BUFFER: usize = 256 * 1024;

/// What to run (secrets already resolved; never logged).
pub struct ContainerSpec<'a> {
    /// Container name.
    pub name: String,
    /// Image, limits, network and extra options.
    pub plan: &'a IsolationPlan,
    /// Command and arguments.
    pub cmd: Vec<String>,
    /// `K=V` environment.
    pub env: Vec<String>,
    /// Labels.
    pub labels: HashMap<String, String>,
}

/// A created container of this proxy.
#[derive(Debug, Clone)]
pub struct Container {
    docker: Docker,
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
}

/// A started container with its stdio attached.
pub struct Launched {
    /// The container's stdout (MCP messages from the server).
    pub stdout: DuplexStream,
    /// The container's stdin (MCP messages to the server).
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    /// Handle to stop and remove it.
    pub container: Container,
}

/// The Docker definition of a container for `spec`.
pub fn create_body(spec: &ContainerSpec<'_>) -> ContainerCreateBody {
    let plan = spec.plan;
    let mut body = ContainerCreateBody {
        image: Some(plan.image.clone()),
        cmd: Some(spec.cmd.clone()),
        env: Some(spec.env.clone()),
        labels: Some(spec.labels.clone()),
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        open_stdin: Some(true),
        stdin_once: Some(true),
        tty: Some(false),
        ..Default::default()
    };
    plan.extra.apply(&mut body);
    if let Some(dir) = &plan.working_dir {
        body.working_dir = Some(dir.clone());
    }
    let host = body.host_config.get_or_insert_with(HostConfig::default);
    host.memory = Some(plan.memory_bytes);
    host.nano_cpus = Some(plan.nano_cpus);
    host.network_mode = Some(plan.network_mode.clone());
    host.init = Some(true);
    host.auto_remove = Some(false);
    body
}

/// Create, attach and start the container; stderr lines go to `log`.
pub async fn launch(
    docker: &Docker,
    spec: &ContainerSpec<'_>,
    log: ServerLog,
) -> Result<Launched, String> {
    let opts = CreateContainerOptionsBuilder::default()
        .name(&spec.name)
        .build();
    let created = docker
        .create_container(Some(opts), create_body(spec))
        .await
        .map_err(|e| format!("cannot create container from `{}`: {e}", spec.plan.image))?;
    let container = Container {
        docker: docker.clone(),
        id: created.id,
        name: spec.name.clone(),
    };
    for warning in created.warnings {
        log.event(&format!("docker: {warning}"));
    }
    match attach_and_start(docker, &container, log).await {
        Ok((stdout, stdin)) => Ok(Launched {
            stdout,
            stdin,
            container,
        }),
        Err(err) => {
            container.remove(Duration::ZERO).await;
            Err(err)
        }
    }
}

async fn attach_and_start(
    docker: &Docker,
    container: &Container,
    log: ServerLog,
) -> Result<(DuplexStream, Pin<Box<dyn AsyncWrite + Send>>), String> {
    let opts = AttachContainerOptionsBuilder::default()
        .stream(true)
        .stdin(true)
        .stdout(true)
        .stderr(true)
        .build();
    let attached = docker
        .attach_container(&container.id, Some(opts))
        .await
        .map_err(|e| format!("cannot attach to container {}: {e}", container.name))?;
    let (reader, writer) = tokio::io::duplex(STDOUT_BUFFER);
    tokio::spawn(pump(attached.output, writer, log));
    docker
        .start_container(&container.id, None)
        .await
        .map_err(|e| format!("cannot start container {}: {e}", container.name))?;
    Ok((reader, attached.input))
}

/// Copy stdout frames into `stdout`, stderr frames as lines into `log`, until the stream ends.
async fn pump(
    mut output: Pin<
        Box<dyn futures::Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>,
    >,
    mut stdout: DuplexStream,
    log: ServerLog,
) {
    let mut stdout_open = true;
    let mut pending = Vec::new();
    while let Some(item) = output.next().await {
        match item {
            Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                if stdout_open && stdout.write_all(&message).await.is_err() {
                    stdout_open = false;
                }
            }
            Ok(LogOutput::StdErr { message }) => {
                pending.extend_from_slice(&message);
                while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=pos).collect();
                    log.stderr_line(String::from_utf8_lossy(&line).trim_end());
                }
            }
            Ok(LogOutput::StdIn { .. }) => {}
            Err(err) => {
                log.event(&format!("container output stream failed: {err}"));
                break;
            }
        }
    }
    if !pending.is_empty() {
        log.stderr_line(String::from_utf8_lossy(&pending).trim_end());
    }
    let _ = stdout.shutdown().await;
}

impl Container {
    /// Stop (SIGTERM via the init process, SIGKILL after `grace`) and remove; never fails.
    pub async fn remove(&self, grace: Duration) {
        if !grace.is_zero() {
            let opts = StopContainerOptionsBuilder::default()
                .t(grace.as_secs().max(1) as i32)
                .build();
            let _ = self.docker.stop_container(&self.id, Some(opts)).await;
        }
        let opts = RemoveContainerOptionsBuilder::default().force(true).build();
        match self.docker.remove_container(&self.id, Some(opts)).await {
            Ok(())
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404 | 409,
                ..
            }) => {}
            Err(err) => {
                tracing::warn!(container = %self.name, %err, "cannot remove container")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::args;

    #[test]
    fn body_attaches_stdio_and_applies_limits_init_and_options() {
        let plan = IsolationPlan {
            image: "img:1".into(),
            runtime: "npx".into(),
            network_mode: "none".into(),
            memory_limit: "64m".into(),
            memory_bytes: 64 << 20,
            cpu_limit: "0.5".into(),
            nano_cpus: 500_000_000,
            working_dir: Some("/app".into()),
            extra: args::parse(&["--cap-drop=ALL".to_string(), "-w".into(), "/x".into()]).unwrap(),
        };
        let spec = ContainerSpec {
            name: "n".into(),
            plan: &plan,
            cmd: vec!["npx".into(), "srv".into()],
            env: vec!["A=1".into()],
            labels: HashMap::from([("mcpproxy.server".to_string(), "s".to_string())]),
        };
        let body = create_body(&spec);
        assert_eq!(
            body.cmd.as_deref(),
            Some(&["npx".to_string(), "srv".into()][..])
        );
        assert_eq!(body.env.as_deref(), Some(&["A=1".to_string()][..]));
        assert_eq!(
            body.working_dir.as_deref(),
            Some("/app"),
            "isolation.working_dir wins"
        );
        assert_eq!(
            (body.open_stdin, body.stdin_once, body.tty),
            (Some(true), Some(true), Some(false))
        );
        let host = body.host_config.unwrap();
        assert_eq!(host.memory, Some(64 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(host.init, Some(true));
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
    }
}
