//! The tray icon and its menu: rendered from the shell's menu model, rebuilt on every core
//! event, and dispatching clicks to the shell, the core or a window.

use crate::{open, windows};
use mcpproxy::shell::{menu, urls, Action, Entry, Phase, Shell, View};
use std::sync::Arc;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

const TRAY_ID: &str = "mcpproxy";

/// Create the tray icon and keep its menu in step with the core.
pub fn install(app: &AppHandle, shell: Arc<Shell>) -> tauri::Result<()> {
    let view = shell.view();
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&render(app, &menu::build(&view))?)
        .tooltip(menu::tooltip(&view))
        .show_menu_on_left_click(true)
        .on_menu_event({
            let shell = shell.clone();
            move |app, event| dispatch(app, &shell, event.id().as_ref())
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        shell.follow(|view| refresh(&app, &view)).await;
    });
    Ok(())
}

/// Replace the tray's menu and tooltip with ones for `view`.
fn refresh(app: &AppHandle, view: &View) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    match render(app, &menu::build(view)) {
        Ok(rendered) => {
            if let Err(err) = tray.set_menu(Some(rendered)) {
                tracing::warn!("cannot update the tray menu: {err}");
            }
        }
        Err(err) => tracing::warn!("cannot build the tray menu: {err}"),
    }
    let _ = tray.set_tooltip(Some(menu::tooltip(view)));
}

/// Build a Tauri menu from the model.
fn render<R: Runtime>(app: &AppHandle<R>, entries: &[Entry]) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for entry in entries {
        menu.append(&*render_entry(app, entry)?)?;
    }
    Ok(menu)
}

fn render_entry<R: Runtime>(
    app: &AppHandle<R>,
    entry: &Entry,
) -> tauri::Result<Box<dyn IsMenuItem<R>>> {
    Ok(match entry {
        Entry::Info(text) => Box::new(MenuItem::new(app, text, false, None::<&str>)?),
        Entry::Item {
            action,
            label,
            enabled,
        } => Box::new(MenuItem::with_id(
            app,
            action.id(),
            label,
            *enabled,
            None::<&str>,
        )?),
        Entry::Separator => Box::new(PredefinedMenuItem::separator(app)?),
        Entry::Submenu { label, entries } => {
            let submenu = Submenu::new(app, label, true)?;
            for entry in entries {
                submenu.append(&*render_entry(app, entry)?)?;
            }
            Box::new(submenu)
        }
    })
}

/// Carry out the menu item `id`.
fn dispatch(app: &AppHandle, shell: &Arc<Shell>, id: &str) {
    let Some(action) = Action::from_id(id) else {
        return;
    };
    let app = app.clone();
    let shell = shell.clone();
    tauri::async_runtime::spawn(async move {
        match perform(&app, &shell, action.clone()).await {
            Ok(()) => shell.set_notice(None),
            Err(err) => {
                tracing::warn!(action = %action.id(), "tray action failed: {err}");
                shell.set_notice(Some(format!("{} failed: {err}", action.describe())));
            }
        }
    });
}

async fn perform(app: &AppHandle, shell: &Shell, action: Action) -> Result<(), String> {
    match &action {
        Action::Retry => {
            shell.start().await;
        }
        Action::NextFreePort => {
            shell.use_next_free_port().await;
        }
        Action::OpenWebUi => {
            let Phase::Running { addr } = shell.phase() else {
                return Err("the core is not running".into());
            };
            let key = urls::api_key(&shell.setup().config);
            open::open(urls::web_ui(addr, key.as_deref()).as_str()).map_err(|e| e.to_string())?;
        }
        Action::OpenConfigFolder => {
            let dir = shell
                .setup()
                .config_path
                .parent()
                .map(|p| p.to_path_buf())
                .unwrap_or_else(|| shell.setup().data_dir.clone());
            open::open(&dir.to_string_lossy()).map_err(|e| e.to_string())?;
        }
        Action::OpenLogsFolder => {
            let dir = shell.setup().logs_dir();
            let _ = mcpproxy::config::ensure_private_dir(&dir);
            open::open(&dir.to_string_lossy()).map_err(|e| e.to_string())?;
        }
        Action::Quit => {
            windows::close_editors(app);
            shell.quit().await;
            app.exit(0);
        }
        Action::EditHeadersEnv(server) => windows::open_editor(app, shell, server)?,
        Action::Login(server) => {
            return Err(format!(
                "OAuth login of `{server}` is not available in this build"
            ))
        }
        _ => {
            let core = shell.core().ok_or("the core is not running")?;
            action.apply(&core).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
