//! The tray menu as data: built from a [`View`], rendered by the Tauri shell.

use super::actions::Action;
use super::lifecycle::Phase;
use super::view::{ServerView, View};
use crate::upstream::state::ConnectionState;

/// Longest error text shown in a menu line.
const MAX_ERROR_CHARS: usize = 80;

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A line of text that does nothing (status).
    Info(String),
    /// A clickable item (`enabled: false` greys it out).
    Item {
        /// What it does.
        action: Action,
        /// Label.
        label: String,
        /// Clickable.
        enabled: bool,
    },
    /// A separator.
    Separator,
    /// A submenu.
    Submenu {
        /// Label.
        label: String,
        /// Entries.
        entries: Vec<Entry>,
    },
}

fn item(action: Action, label: impl Into<String>) -> Entry {
    Entry::Item {
        action,
        label: label.into(),
        enabled: true,
    }
}

fn disabled(action: Action, label: impl Into<String>) -> Entry {
    Entry::Item {
        action,
        label: label.into(),
        enabled: false,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX_ERROR_CHARS {
        line.to_string()
    } else {
        let cut: String = line.chars().take(MAX_ERROR_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// Tooltip of the tray icon.
pub fn tooltip(view: &View) -> String {
    match &view.phase {
        Phase::Running { addr } => {
            let attention = view.attention();
            let mut text = format!(
                "MCPProxy on {addr}: {}, {}",
                plural(view.servers.len(), "server", "servers"),
                plural(view.tools, "tool", "tools")
            );
            if attention > 0 {
                text.push_str(&format!(", {attention} need attention"));
            }
            text
        }
        Phase::Starting => "MCPProxy: starting…".into(),
        Phase::PortInUse { listen, .. } => format!("MCPProxy: not running ({listen} is in use)"),
        Phase::Failed { .. } => "MCPProxy: not running (start-up failed)".into(),
        Phase::Stopping => "MCPProxy: stopping…".into(),
        Phase::Stopped => "MCPProxy: stopped".into(),
    }
}

/// The whole tray menu for `view`.
pub fn build(view: &View) -> Vec<Entry> {
    let mut entries = status_lines(view);
    if let Some(notice) = &view.notice {
        entries.push(Entry::Info(format!("⚠ {}", shorten(notice))));
    }
    entries.push(Entry::Separator);
    if let Phase::Running { .. } = view.phase {
        if view.servers.is_empty() {
            entries.push(Entry::Info("No servers configured".into()));
        }
        entries.extend(view.servers.iter().map(server_submenu));
        entries.push(quarantine_submenu(view));
        entries.push(Entry::Separator);
        entries.push(item(Action::OpenWebUi, "Open Web UI"));
    }
    entries.push(item(Action::OpenConfigFolder, "Open config folder"));
    entries.push(item(Action::OpenLogsFolder, "Open logs folder"));
    entries.push(Entry::Separator);
    entries.push(item(Action::Quit, "Quit MCPProxy"));
    entries
}

fn status_lines(view: &View) -> Vec<Entry> {
    match &view.phase {
        Phase::Starting => vec![Entry::Info("MCPProxy: starting…".into())],
        Phase::Running { addr } => {
            let attention = view.attention();
            vec![
                Entry::Info(format!("MCPProxy: running on {addr}")),
                Entry::Info(format!(
                    "{} ({} ready) · {}",
                    plural(view.servers.len(), "server", "servers"),
                    view.ready(),
                    plural(view.tools, "tool", "tools")
                )),
                Entry::Info(if attention == 0 {
                    "No problems".into()
                } else {
                    format!(
                        "⚠ {} need attention",
                        plural(attention, "server", "servers")
                    )
                }),
            ]
        }
        Phase::PortInUse { listen, message } => vec![
            Entry::Info(format!("MCPProxy: not running, {listen} is in use")),
            Entry::Info(shorten(message)),
            item(Action::Retry, "Retry"),
            item(
                Action::NextFreePort,
                "Use the next free port (this session)",
            ),
        ],
        Phase::Failed { message } => vec![
            Entry::Info("MCPProxy: not running".into()),
            Entry::Info(shorten(message)),
            item(Action::Retry, "Retry"),
        ],
        Phase::Stopping => vec![Entry::Info("MCPProxy: stopping…".into())],
        Phase::Stopped => vec![Entry::Info("MCPProxy: stopped".into())],
    }
}

fn state_label(server: &ServerView) -> String {
    match server.state {
        ConnectionState::Ready => format!("ready, {}", plural(server.tools, "tool", "tools")),
        state => state.as_str().to_string(),
    }
}

fn server_submenu(server: &ServerView) -> Entry {
    let name = &server.name;
    let mut entries = vec![Entry::Info(format!("Status: {}", state_label(server)))];
    if let Some(error) = server
        .last_error
        .as_deref()
        .filter(|_| server.state == ConnectionState::Error)
    {
        entries.push(Entry::Info(format!("Error: {}", shorten(error))));
    }
    entries.push(Entry::Separator);
    if server.enabled {
        entries.push(item(Action::Disable(name.clone()), "Disable"));
    } else {
        entries.push(item(Action::Enable(name.clone()), "Enable"));
    }
    let restartable = server.enabled && !server.quarantined;
    entries.push(Entry::Item {
        action: Action::Restart(name.clone()),
        label: "Restart".into(),
        enabled: restartable,
    });
    if server.quarantined {
        entries.push(item(
            Action::Approve(name.clone()),
            "Approve (leave quarantine)",
        ));
    }
    if server.blocked_tools > 0 {
        entries.push(item(
            Action::ApproveTools(name.clone()),
            format!(
                "Approve {}",
                plural(server.blocked_tools, "changed tool", "changed tools")
            ),
        ));
    }
    if server.uses_oauth {
        // The OAuth login flow is not part of this build yet: shown, but not clickable.
        entries.push(disabled(
            Action::Login(name.clone()),
            "Log in… (OAuth login not available in this build)",
        ));
    }
    entries.push(item(
        Action::EditHeadersEnv(name.clone()),
        "Edit headers & env…",
    ));
    let marker = if server.needs_attention() { "⚠ " } else { "" };
    Entry::Submenu {
        label: format!("{marker}{name} ({})", state_label(server)),
        entries,
    }
}

fn quarantine_submenu(view: &View) -> Entry {
    let mut entries = Vec::new();
    for server in &view.servers {
        if server.quarantined {
            entries.push(item(
                Action::Approve(server.name.clone()),
                format!("Approve server {}", server.name),
            ));
        }
        if server.blocked_tools > 0 {
            entries.push(item(
                Action::ApproveTools(server.name.clone()),
                format!(
                    "Approve {} of {}",
                    plural(server.blocked_tools, "changed tool", "changed tools"),
                    server.name
                ),
            ));
        }
    }
    let label = if entries.is_empty() {
        entries.push(Entry::Info("Nothing in quarantine".into()));
        "Quarantine".to_string()
    } else {
        format!("Quarantine ({})", entries.len())
    };
    Entry::Submenu { label, entries }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(name: &str, state: ConnectionState) -> ServerView {
        ServerView {
            name: name.into(),
            state,
            enabled: state != ConnectionState::Disabled,
            quarantined: state == ConnectionState::Quarantined,
            tools: if state == ConnectionState::Ready {
                3
            } else {
                0
            },
            blocked_tools: 0,
            last_error: None,
            uses_oauth: false,
        }
    }

    fn running(servers: Vec<ServerView>) -> View {
        View {
            phase: Phase::Running {
                addr: "127.0.0.1:8080".parse().unwrap(),
            },
            tools: servers.iter().map(|s| s.tools).sum(),
            servers,
            notice: None,
        }
    }

    fn find<'a>(entries: &'a [Entry], label_start: &str) -> &'a Entry {
        entries
            .iter()
            .find(|e| match e {
                Entry::Info(l) | Entry::Item { label: l, .. } | Entry::Submenu { label: l, .. } => {
                    l.starts_with(label_start)
                }
                Entry::Separator => false,
            })
            .unwrap_or_else(|| panic!("no entry starting with {label_start:?} in {entries:#?}"))
    }

    fn sub(entry: &Entry) -> &[Entry] {
        match entry {
            Entry::Submenu { entries, .. } => entries,
            other => panic!("not a submenu: {other:?}"),
        }
    }

    #[test]
    fn running_menu_counts_servers_tools_and_problems() {
        let mut broken = server("broken", ConnectionState::Error);
        broken.last_error = Some("connection refused\nmore".into());
        let view = running(vec![
            server("fs", ConnectionState::Ready),
            broken,
            server("new", ConnectionState::Quarantined),
            server("off", ConnectionState::Disabled),
        ]);
        let menu = build(&view);
        find(&menu, "MCPProxy: running on 127.0.0.1:8080");
        find(&menu, "4 servers (1 ready) · 3 tools");
        find(&menu, "⚠ 2 servers need attention");
        let fs = sub(find(&menu, "fs (ready, 3 tools)"));
        assert!(fs.contains(&item(Action::Disable("fs".into()), "Disable")));
        assert!(fs.contains(&item(
            Action::EditHeadersEnv("fs".into()),
            "Edit headers & env…"
        )));
        let broken = sub(find(&menu, "⚠ broken (error)"));
        assert!(broken.contains(&Entry::Info("Error: connection refused".into())));
        let off = sub(find(&menu, "off (disabled)"));
        assert!(off.contains(&item(Action::Enable("off".into()), "Enable")));
        assert!(off.contains(&Entry::Item {
            action: Action::Restart("off".into()),
            label: "Restart".into(),
            enabled: false
        }));
        let quarantine = sub(find(&menu, "Quarantine (1)"));
        assert_eq!(
            quarantine,
            &[item(Action::Approve("new".into()), "Approve server new")]
        );
        find(&menu, "Open Web UI");
        assert_eq!(menu.last(), Some(&item(Action::Quit, "Quit MCPProxy")));
    }

    #[test]
    fn taken_port_offers_retry_and_next_port() {
        let view = View {
            phase: Phase::PortInUse {
                listen: "127.0.0.1:8080".into(),
                message: "cannot listen on 127.0.0.1:8080: Address in use".into(),
            },
            servers: vec![],
            tools: 0,
            notice: Some("Enable failed: field `x`".into()),
        };
        let menu = build(&view);
        find(&menu, "MCPProxy: not running, 127.0.0.1:8080 is in use");
        assert!(menu.contains(&item(Action::Retry, "Retry")));
        find(&menu, "Use the next free port");
        find(&menu, "⚠ Enable failed: field `x`");
        assert!(!menu.iter().any(|e| matches!(
            e,
            Entry::Item {
                action: Action::OpenWebUi,
                ..
            }
        )));
        assert_eq!(
            tooltip(&view),
            "MCPProxy: not running (127.0.0.1:8080 is in use)"
        );
    }

    #[test]
    fn changed_tools_and_oauth_appear() {
        let mut s = server("gh", ConnectionState::Ready);
        s.blocked_tools = 2;
        s.uses_oauth = true;
        let view = running(vec![s]);
        let menu = build(&view);
        let gh = sub(find(&menu, "⚠ gh"));
        find(gh, "Approve 2 changed tools");
        assert!(matches!(
            find(gh, "Log in…"),
            Entry::Item { enabled: false, .. }
        ));
        let quarantine = sub(find(&menu, "Quarantine (1)"));
        find(quarantine, "Approve 2 changed tools of gh");
        assert_eq!(
            tooltip(&view),
            "MCPProxy on 127.0.0.1:8080: 1 server, 3 tools, 1 need attention"
        );
    }

    #[test]
    fn long_errors_are_shortened() {
        let long = "x".repeat(200);
        assert_eq!(shorten(&long).chars().count(), MAX_ERROR_CHARS);
    }
}
