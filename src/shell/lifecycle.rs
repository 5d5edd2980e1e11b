//! The core inside the desktop app: start on the configured port, report a taken port
//! instead of failing, retry or move to the next free port, follow core events, and stop
//! gracefully on quit.

use super::view::View;
use crate::core::{Core, CoreOptions};
use crate::runner::{self, Running, Setup};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

/// Where the shell's core is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Binding and starting.
    Starting,
    /// Serving on `addr`.
    Running {
        /// Listening address.
        addr: SocketAddr,
    },
    /// The configured port is taken; nothing is served until a retry or another port.
    PortInUse {
        /// The address that was taken.
        listen: String,
        /// The explanation (names the config file and the fix).
        message: String,
    },
    /// Start-up failed for another reason (e.g. an invalid `listen`).
    Failed {
        /// The explanation.
        message: String,
    },
    /// Shutting down: HTTP draining, upstreams stopping.
    Stopping,
    /// Shut down (after quit).
    Stopped,
}

/// The core's lifecycle inside the desktop app. Cheap to share (`Arc`).
pub struct Shell {
    setup: Setup,
    options: CoreOptions,
    /// Address to use instead of the config's `listen` (flag, or a port chosen after a
    /// conflict); never written to the config file.
    listen: Mutex<Option<String>>,
    running: tokio::sync::Mutex<Option<Running>>,
    core: Mutex<Option<Arc<Core>>>,
    phase: watch::Sender<Phase>,
    notice: watch::Sender<Option<String>>,
}

impl Shell {
    /// A shell for `setup`; `listen` overrides the config's `listen` for this run.
    pub fn new(setup: Setup, listen: Option<String>, options: CoreOptions) -> Arc<Self> {
        Arc::new(Self {
            setup,
            options,
            listen: Mutex::new(listen),
            running: tokio::sync::Mutex::new(None),
            core: Mutex::new(None),
            phase: watch::channel(Phase::Starting).0,
            notice: watch::channel(None).0,
        })
    }

    /// The loaded config and its paths.
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// The address the shell tries to listen on.
    pub fn listen(&self) -> String {
        self.listen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| self.setup.config.listen.clone())
    }

    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    /// Receiver of phase changes.
    pub fn subscribe(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// The running core, if any.
    pub fn core(&self) -> Option<Arc<Core>> {
        self.core.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Bind the current address and start the core; a taken port gives
    /// [`Phase::PortInUse`] (not an error). Does nothing when already running.
    pub async fn start(&self) -> Phase {
        let listen = self.listen();
        let mut running = self.running.lock().await;
        if running.is_some() || matches!(self.phase(), Phase::Stopping | Phase::Stopped) {
            return self.phase();
        }
        self.phase.send_replace(Phase::Starting);
        let phase = match self.setup.bind(Some(&listen)).await {
            Ok(listener) => self.launch(&mut running, listener).await,
            Err(err) if runner::is_addr_in_use(&err) => Phase::PortInUse {
                listen,
                message: format!("{err:#}"),
            },
            Err(err) => Phase::Failed {
                message: format!("{err:#}"),
            },
        };
        self.phase.send_replace(phase.clone());
        phase
    }

    /// After [`Phase::PortInUse`]: start on the first free port after the taken one (for
    /// this run only; the config file keeps its `listen`).
    pub async fn use_next_free_port(&self) -> Phase {
        let listen = self.listen();
        let mut running = self.running.lock().await;
        if running.is_some() || matches!(self.phase(), Phase::Stopping | Phase::Stopped) {
            return self.phase();
        }
        let phase = match runner::bind_next_free(&listen).await {
            Some(listener) => {
                if let Ok(addr) = listener.local_addr() {
                    *self.listen.lock().unwrap_or_else(|e| e.into_inner()) = Some(addr.to_string());
                }
                self.launch(&mut running, listener).await
            }
            None => Phase::PortInUse {
                listen: listen.clone(),
                message: format!(
                    "no free port among the {} after {listen}; change `listen` in {}",
                    runner::NEXT_PORT_ATTEMPTS,
                    self.setup.config_path.display()
                ),
            },
        };
        self.phase.send_replace(phase.clone());
        phase
    }

    async fn launch(
        &self,
        running: &mut Option<Running>,
        listener: tokio::net::TcpListener,
    ) -> Phase {
        let started = Running::start(self.setup.clone(), listener, self.options.clone()).await;
        let addr = started.addr;
        *self.core.lock().unwrap_or_else(|e| e.into_inner()) = Some(started.core.clone());
        *running = Some(started);
        Phase::Running { addr }
    }

    /// Graceful shutdown: HTTP drained, every upstream (and its process group) stopped.
    /// Idempotent; the phase ends as [`Phase::Stopped`].
    pub async fn quit(&self) {
        if self.phase() != Phase::Stopped {
            self.phase.send_replace(Phase::Stopping);
        }
        let mut running = self.running.lock().await;
        self.core.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(running) = running.take() {
            if let Err(err) = running.stop().await {
                tracing::warn!("shutdown: {err:#}");
            }
        }
        self.phase.send_replace(Phase::Stopped);
    }

    /// Show `notice` (e.g. why the last menu action failed) in the tray until replaced;
    /// `None` clears it.
    pub fn set_notice(&self, notice: Option<String>) {
        self.notice.send_replace(notice);
    }

    /// The state shown by the tray now.
    pub fn view(&self) -> View {
        let mut view = View::of(&self.phase(), self.core().as_deref());
        view.notice = self.notice.borrow().clone();
        view
    }

    /// Call `render` with the current [`View`] now and after every phase change, notice or
    /// core event (bursts of events coalesce into one render). Event-driven, no polling;
    /// returns after rendering [`Phase::Stopped`].
    pub async fn follow(&self, mut render: impl FnMut(View)) {
        let mut phases = self.subscribe();
        let mut notices = self.notice.subscribe();
        loop {
            phases.mark_unchanged();
            notices.mark_unchanged();
            // Subscribe before reading the state so no change is missed in between.
            let mut events = self.core().map(|core| core.events.subscribe());
            let view = self.view();
            let stopped = view.phase == Phase::Stopped;
            render(view);
            if stopped {
                return;
            }
            let core_event = async {
                match events.as_mut() {
                    Some(events) => {
                        if let Err(RecvError::Closed) = events.recv().await {
                            std::future::pending::<()>().await;
                        }
                        while events.try_recv().is_ok() {}
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = phases.changed() => if changed.is_err() { return },
                _ = notices.changed() => {}
                _ = core_event => {}
            }
        }
    }
}
