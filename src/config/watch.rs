//! Hot reload: apply external edits of `mcp_config.json` without a restart.
//!
//! The directory is watched (editors and our own saves replace the file by rename), events
//! are debounced, and the file is re-read. A valid, different config replaces the running
//! one; an invalid edit is reported (log + `CoreEvent::ConfigInvalid`) and the running
//! config is kept. The core's own saves read back equal and are ignored.

use crate::config::{Config, ServerConfig};
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

/// Re-read the config file and apply it when it differs from the running config. The
/// start-up quarantine rule applies before anything is spawned: a server that appears without
/// a `quarantined` key and was never seen is quarantined (and written back to the file).
pub async fn reload(core: &Core) {
    let path = core.config_path.clone();
    let store = core.store.clone();
    let mut changes = Vec::new();
    let outcome = core
        .reload_config(|current| {
            let mut next = read(&path)?;
            if next.api_key.as_deref().is_none_or(str::is_empty) {
                // Keep the running key rather than locking every client out.
                next.api_key = current.api_key.clone();
            }
            let quarantined = crate::quarantine::quarantine_unknown(&mut next, |name| {
                current.mcp_servers.iter().any(|s| s.name == name)
                    || store.server_seen(name).unwrap_or(false)
            });
            crate::quarantine::record_file_quarantine(&quarantined, &next, &store, &path);
            changes = server_changes(current, &next);
            Ok::<_, String>(next)
        })
        .await;
    match outcome {
        Ok(true) => {
            tracing::info!(path = %path.display(), "applied an external edit of the config");
            for server in &core.config().mcp_servers {
                let _ = store.mark_server_seen(&server.name);
            }
            for (action, before, after, changed) in &changes {
                crate::manage::audit::server_change(
                    core,
                    crate::manage::Actor::File,
                    action,
                    before.as_ref(),
                    after.as_ref(),
                    changed,
                );
            }
        }
        Ok(false) => {}
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "ignoring an invalid edit of the config; the running config stays in force");
            core.events.publish(CoreEvent::ConfigInvalid { error });
        }
    }
}

type ServerChange = (
    &'static str,
    Option<ServerConfig>,
    Option<ServerConfig>,
    Vec<String>,
);

/// Servers added, removed or changed between two configs (for the activity log).
fn server_changes(previous: &Config, next: &Config) -> Vec<ServerChange> {
    let mut out = Vec::new();
    for old in &previous.mcp_servers {
        match next.mcp_servers.iter().find(|s| s.name == old.name) {
            None => out.push(("remove", Some(old.clone()), None, Vec::new())),
            Some(new) => {
                let changed = crate::manage::patch::changed_fields(old, new);
                if !changed.is_empty() {
                    out.push(("patch", Some(old.clone()), Some(new.clone()), changed));
                }
            }
        }
    }
    for new in &next.mcp_servers {
        if !previous.mcp_servers.iter().any(|s| s.name == new.name) {
            out.push(("add", None, Some(new.clone()), Vec::new()));
        }
    }
    out
}

fn read(path: &Path) -> Result<Config, String> {
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
