//! Hot reload: apply external edits of `mcp_config.json` without a restart.
//!
//! The directory is watched (editors and our own saves replace the file by rename), events
//! are debounced, and the file is re-read. A valid, different config replaces the running
//! one; an invalid edit is reported (log + `CoreEvent::ConfigInvalid`) and the running
//! config is kept. The core's own saves read back equal and are ignored.

use crate::core::Core;
use crate::events::CoreEvent;
use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Quiet time after the last file event before the file is read.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

fn concerns(event: &notify::Event, file_name: &std::ffi::OsStr) -> bool {
    !event.kind.is_access() && event.paths.iter().any(|p| p.file_name() == Some(file_name))
}

/// Start watching `core.config_path`; runs until the core is dropped.
pub fn spawn(core: &Arc<Core>) {
    let path = core.config_path.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    let Some(file_name) = path.file_name().map(|n| n.to_os_string()) else {
        return;
    };
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        if let Ok(event) = result {
            if concerns(&event, &file_name) {
                let _ = tx.send(());
            }
        }
    });
    let mut watcher = match watcher {
        Ok(watcher) => watcher,
        Err(err) => {
            tracing::warn!(%err, "cannot watch the config file; external edits need a restart");
            return;
        }
    };
    if let Err(err) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        tracing::warn!(dir = %dir.display(), %err, "cannot watch the config directory; external edits need a restart");
        return;
    }
    tokio::spawn(run(Arc::downgrade(core), watcher, rx));
}

async fn run(
    core: Weak<Core>,
    watcher: notify::RecommendedWatcher,
    mut events: mpsc::UnboundedReceiver<()>,
) {
    let _watcher = watcher; // dropping it stops the watch
    while events.recv().await.is_some() {
        // Debounce: wait until the file has been quiet for DEBOUNCE.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, events.recv()).await {}
        let Some(core) = core.upgrade() else { break };
        reload(&core).await;
    }
}

/// Re-read the config file and apply it when it differs from the running config.
pub async fn reload(core: &Core) {
    let path = core.config_path.clone();
    let outcome = core
        .reload_config(|current| {
            let mut next = read(&path)?;
            if next.api_key.as_deref().is_none_or(str::is_empty) {
                // Keep the running key rather than locking every client out.
                next.api_key = current.api_key.clone();
            }
            Ok::<_, String>(next)
        })
        .await;
    match outcome {
        Ok(true) => {
            tracing::info!(path = %path.display(), "applied an external edit of the config")
        }
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring an invalid edit of the config; the running config stays in force");
            core.events.publish(CoreEvent::ConfigInvalid { error });
        }
    }
}

fn read(path: &Path) -> Result<crate::config::Config, String> {
    match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{} was deleted; the running config stays in force until it is back",
                path.display()
            ))
        }
        _ => {}
    }
    crate::config::load_file(path).map_err(|err| err.to_string())
}
