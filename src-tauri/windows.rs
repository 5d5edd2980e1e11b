//! Per-server Headers & Environment editor windows: native windows showing the web UI's
//! server config page (its Headers and Environment Variables cards) served by the in-process
//! core, signed in with the API key.

use mcpproxy::shell::{urls, Phase, Shell};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

/// Open (or focus) the editor window of `server`. Needs a running core.
pub fn open_editor(app: &AppHandle, shell: &Shell, server: &str) -> Result<(), String> {
    let label = urls::editor_label(server);
    if let Some(window) = app.get_webview_window(&label) {
        let _ = window.unminimize();
        let _ = window.show();
        return window.set_focus().map_err(|err| err.to_string());
    }
    let Phase::Running { addr } = shell.phase() else {
        return Err("the core is not running".into());
    };
    let key = urls::api_key(&shell.setup().config);
    let url = urls::editor(addr, key.as_deref(), server);
    WebviewWindowBuilder::new(app, label, WebviewUrl::External(url))
        .title(format!("{server}: Headers & Environment (MCPProxy)"))
        .inner_size(760.0, 640.0)
        .min_inner_size(420.0, 320.0)
        .build()
        .map(|_| ())
        .map_err(|err| err.to_string())
}

/// Close every editor window (the core they talk to is going away).
pub fn close_editors(app: &AppHandle) {
    for (label, window) in app.webview_windows() {
        if label.starts_with("editor-") {
            let _ = window.close();
        }
    }
}
