//! Per-server isolation: the decision, the live container status, and launching/cleanup.

use super::container::{self, Container, ContainerSpec, Launched};
use super::image::{self, PullUpdate};
use super::plan::{self, Decision, IsolationPlan};
use super::runtime::{self, DockerRuntime};
use super::status::{ImagePullEvent, IsolationStatus, PullPhase};
use crate::config::ServerConfig;
use crate::events::CoreEvent;
use crate::upstream::connect::ResolvedServer;
use crate::upstream::logfile::ServerLog;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Minimum time between two byte-count progress events of a pull.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// Isolation of one upstream server; cheap to clone.
#[derive(Clone)]
pub struct Isolator {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Arc<DockerRuntime>,
    server: String,
    log: ServerLog,
    decision: Decision,
    status: RwLock<Option<IsolationStatus>>,
    /// Set once a launch began: only then can a container of ours exist.
    attempted: AtomicBool,
}

impl Isolator {
    /// Decide isolation for `config` with the runtime's current global settings.
    pub fn new(runtime: Arc<DockerRuntime>, config: &ServerConfig, log: ServerLog) -> Self {
        let decision = plan::decide(runtime.config().as_ref(), config);
        let status = match &decision {
            Decision::NotApplicable => None,
            Decision::Off(reason) => Some(IsolationStatus {
                enabled: false,
                reason: Some(reason.clone()),
                ..Default::default()
            }),
            Decision::On(plan) => Some(IsolationStatus {
                enabled: true,
                image: Some(plan.image.clone()),
                runtime: Some(plan.runtime.clone()),
                network_mode: Some(plan.network_mode.clone()),
                memory_limit: Some(plan.memory_limit.clone()),
                cpu_limit: Some(plan.cpu_limit.clone()),
                ..Default::default()
            }),
            Decision::Invalid(message) => Some(IsolationStatus {
                enabled: true,
                reason: Some(message.clone()),
                container_state: Some("error".into()),
                ..Default::default()
            }),
        };
        Self {
            inner: Arc::new(Inner {
                runtime,
                server: config.name.clone(),
                log,
                decision,
                status: RwLock::new(status),
                attempted: AtomicBool::new(false),
            }),
        }
    }

    /// Status for the server object (`None` for servers isolation does not apply to).
    pub fn status(&self) -> Option<IsolationStatus> {
        self.inner
            .status
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// True when the server must run in a container (also when its settings are invalid:
    /// such a server fails with the reason rather than running on the host).
    pub fn is_isolated(&self) -> bool {
        matches!(self.inner.decision, Decision::On(_) | Decision::Invalid(_))
    }

    fn update(&self, change: impl FnOnce(&mut IsolationStatus)) {
        {
            let mut status = self.inner.status.write().unwrap_or_else(|e| e.into_inner());
            if let Some(status) = status.as_mut() {
                change(status);
            }
        }
        self.inner.runtime.events.publish(CoreEvent::ServerChanged {
            name: self.inner.server.clone(),
        });
    }

    fn set_state(&self, state: &str) {
        self.update(|s| s.container_state = Some(state.to_string()));
    }

    /// Start the server's container (pulling the image when missing) with stdio attached.
    pub async fn launch(
        &self,
        server: &ResolvedServer,
        log: &ServerLog,
    ) -> Result<Launched, String> {
        let plan = match &self.inner.decision {
            Decision::On(plan) => plan,
            Decision::Invalid(message) => {
                return Err(format!("docker isolation settings are invalid: {message}"))
            }
            _ => return Err("docker isolation is off for this server".into()),
        };
        self.inner.runtime.wait_swept().await;
        self.inner.attempted.store(true, Ordering::SeqCst);
        self.set_state("pending");
        let docker = runtime::connect().await.map_err(|err| {
            self.update(|s| {
                s.container_state = Some("docker_unavailable".into());
                s.container_id = None;
                s.container_name = None;
            });
            format!(
                "{err}. Server `{}` is configured to run in a Docker container, so it is not started on the host. Start Docker, or set \"isolation\": {{\"enabled\": false}} on this server (or docker_isolation.enabled to false) to run it without isolation",
                self.inner.server
            )
        })?;
        let present = image::is_present(&docker, &plan.image)
            .await
            .inspect_err(|_| self.set_state("error"))?;
        if !present {
            self.pull(&docker, plan, log).await?;
        }
        self.set_state("creating");
        let spec = self.spec(server, plan);
        log.event(&format!(
            "starting container {} from image {} (network {}, memory {}, cpus {})",
            spec.name, plan.image, plan.network_mode, plan.memory_limit, plan.cpu_limit
        ));
        let launched = container::launch(&docker, &spec, log.clone())
            .await
            .inspect_err(|_| self.set_state("error"))?;
        let id = launched.container.id.clone();
        log.event(&format!(
            "container {} ({}) running",
            spec.name,
            &id[..id.len().min(12)]
        ));
        self.update(|s| {
            s.container_id = Some(id);
            s.container_name = Some(spec.name.clone());
            s.container_state = Some("running".into());
        });
        Ok(launched)
    }

    fn spec<'a>(&self, server: &ResolvedServer, plan: &'a IsolationPlan) -> ContainerSpec<'a> {
        let mut cmd = vec![server.config.command.clone().unwrap_or_default()];
        cmd.extend(server.args.iter().cloned());
        let env = server.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        ContainerSpec {
            name: container_name(&self.inner.server),
            plan,
            cmd,
            env,
            labels: self.inner.runtime.labels(&self.inner.server),
        }
    }

    async fn pull(
        &self,
        docker: &bollard::Docker,
        plan: &IsolationPlan,
        log: &ServerLog,
    ) -> Result<(), String> {
        self.set_state("pulling_image");
        log.event(&format!(
            "image {} is not present locally; pulling it",
            plan.image
        ));
        self.emit(plan, PullPhase::Started, None, None);
        let mut last_emit = Instant::now();
        let mut last_status: Option<(Option<String>, String)> = None;
        let result = image::pull(docker, &plan.image, |update: PullUpdate| {
            let key = (update.layer.clone(), update.status.clone());
            let changed = last_status.as_ref() != Some(&key);
            if changed {
                let what = match &update.layer {
                    Some(layer) => format!("pull {}: {layer}: {}", plan.image, update.status),
                    None => format!("pull {}: {}", plan.image, update.status),
                };
                log.event(&what);
            }
            if changed || last_emit.elapsed() >= PROGRESS_INTERVAL {
                last_emit = Instant::now();
                self.emit(plan, PullPhase::Progress, Some(update), None);
            }
            last_status = Some(key);
        })
        .await;
        match result {
            Ok(()) => {
                log.event(&format!("pulled image {}", plan.image));
                self.emit(plan, PullPhase::Done, None, None);
                Ok(())
            }
            Err(err) => {
                log.event(&err);
                self.emit(plan, PullPhase::Failed, None, Some(err.clone()));
                self.set_state("error");
                Err(err)
            }
        }
    }

    fn emit(
        &self,
        plan: &IsolationPlan,
        phase: PullPhase,
        update: Option<PullUpdate>,
        error: Option<String>,
    ) {
        let update = update.unwrap_or(PullUpdate {
            layer: None,
            status: String::new(),
            current: None,
            total: None,
        });
        self.inner
            .runtime
            .events
            .publish(CoreEvent::DockerPull(ImagePullEvent {
                server: self.inner.server.clone(),
                image: plan.image.clone(),
                phase,
                layer: update.layer,
                status: (!update.status.is_empty()).then_some(update.status),
                current: update.current,
                total: update.total,
                error,
            }));
    }

    /// Stop and remove a container of this server and record it.
    pub async fn discard(&self, container: &Container, grace: Duration) {
        container.remove(grace).await;
        self.inner
            .log
            .event(&format!("container {} stopped and removed", container.name));
        self.update(|s| {
            if s.container_id.as_deref() == Some(container.id.as_str()) {
                s.container_id = None;
                s.container_name = None;
                s.container_state = Some("removed".into());
            }
        });
    }

    /// Remove whatever container of this server is left (after the supervisor stopped).
    pub async fn cleanup(&self) {
        if !self.inner.attempted.load(Ordering::SeqCst) {
            return;
        }
        match self
            .inner
            .runtime
            .remove_server_containers(&self.inner.server)
            .await
        {
            Ok(0) => {}
            Ok(n) => self
                .inner
                .log
                .event(&format!("removed {n} leftover container(s)")),
            Err(err) => {
                tracing::debug!(server = %self.inner.server, %err, "container cleanup skipped")
            }
        }
        self.update(|s| {
            if s.container_state.as_deref() != Some("docker_unavailable") {
                s.container_state = Some("removed".into());
            }
            s.container_id = None;
            s.container_name = None;
        });
    }
}

/// `mcpproxy-<server>-<random>`, restricted to the characters Docker accepts.
fn container_name(server: &str) -> String {
    let safe: String = server
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let suffix: u32 = rand::random();
    format!("mcpproxy-{safe}-{suffix:08x}")
}
