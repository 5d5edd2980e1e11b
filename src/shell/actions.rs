//! What a tray menu item does, its menu id, and the actions carried out on the core.

use crate::core::Core;
use crate::manage::ops;

/// A tray menu action. Server names contain no `:` (config rule), so ids are unambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bind the configured port again.
    Retry,
    /// Start on the first free port after the taken one.
    NextFreePort,
    /// Open the web UI in the browser.
    OpenWebUi,
    /// Open the folder of the config file.
    OpenConfigFolder,
    /// Open the folder of the per-server logs.
    OpenLogsFolder,
    /// Stop the core gracefully and exit.
    Quit,
    /// Set `enabled: true`.
    Enable(String),
    /// Set `enabled: false`.
    Disable(String),
    /// Reconnect (new process / session).
    Restart(String),
    /// Release a quarantined server.
    Approve(String),
    /// Approve every new or changed tool of a server.
    ApproveTools(String),
    /// Start the OAuth login of a server.
    Login(String),
    /// Open the server's Headers & Environment editor window.
    EditHeadersEnv(String),
}

impl Action {
    /// Menu item id.
    pub fn id(&self) -> String {
        match self {
            Action::Retry => "retry".into(),
            Action::NextFreePort => "next-port".into(),
            Action::OpenWebUi => "open-ui".into(),
            Action::OpenConfigFolder => "open-config".into(),
            Action::OpenLogsFolder => "open-logs".into(),
            Action::Quit => "quit".into(),
            Action::Enable(name) => format!("enable:{name}"),
            Action::Disable(name) => format!("disable:{name}"),
            Action::Restart(name) => format!("restart:{name}"),
            Action::Approve(name) => format!("approve:{name}"),
            Action::ApproveTools(name) => format!("approve-tools:{name}"),
            Action::Login(name) => format!("login:{name}"),
            Action::EditHeadersEnv(name) => format!("edit:{name}"),
        }
    }

    /// Short description for messages ("Restart github").
    pub fn describe(&self) -> String {
        match self {
            Action::Retry => "Retry".into(),
            Action::NextFreePort => "Use the next free port".into(),
            Action::OpenWebUi => "Open Web UI".into(),
            Action::OpenConfigFolder => "Open config folder".into(),
            Action::OpenLogsFolder => "Open logs folder".into(),
            Action::Quit => "Quit".into(),
            Action::Enable(name) => format!("Enable {name}"),
            Action::Disable(name) => format!("Disable {name}"),
            Action::Restart(name) => format!("Restart {name}"),
            Action::Approve(name) => format!("Approve {name}"),
            Action::ApproveTools(name) => format!("Approve the tools of {name}"),
            Action::Login(name) => format!("Log in to {name}"),
            Action::EditHeadersEnv(name) => format!("Edit headers & env of {name}"),
        }
    }

    /// Parse a menu item id made by [`Action::id`].
    pub fn from_id(id: &str) -> Option<Self> {
        let simple = match id {
            "retry" => Some(Action::Retry),
            "next-port" => Some(Action::NextFreePort),
            "open-ui" => Some(Action::OpenWebUi),
            "open-config" => Some(Action::OpenConfigFolder),
            "open-logs" => Some(Action::OpenLogsFolder),
            "quit" => Some(Action::Quit),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        let (kind, name) = id.split_once(':')?;
        let name = name.to_string();
        Some(match kind {
            "enable" => Action::Enable(name),
            "disable" => Action::Disable(name),
            "restart" => Action::Restart(name),
            "approve" => Action::Approve(name),
            "approve-tools" => Action::ApproveTools(name),
            "login" => Action::Login(name),
            "edit" => Action::EditHeadersEnv(name),
            _ => return None,
        })
    }

    /// Carry out a server action on the core (the same operations as the REST API); the
    /// error says why it failed. `Ok(false)` for actions the core does not handle (windows,
    /// folders, lifecycle): the shell does those.
    pub async fn apply(&self, core: &Core) -> Result<bool, String> {
        self.apply_core(core).await.map_err(|err| err.to_string())
    }

    async fn apply_core(
        &self,
        core: &Core,
    ) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
        match self {
            Action::Enable(name) => {
                ops::set_enabled(core, name, true, ops::Actor::Tray).await?;
            }
            Action::Disable(name) => {
                ops::set_enabled(core, name, false, ops::Actor::Tray).await?;
            }
            Action::Restart(name) => {
                ops::restart(core, name).await?;
            }
            Action::Approve(name) => {
                crate::quarantine::set_quarantined(core, name, false, ops::Actor::Tray).await?
            }
            Action::ApproveTools(name) => {
                crate::quarantine::approve_tools(core, name, None, "tray").await?;
            }
            Action::Login(name) => {
                // Opens the authorization page in the browser; the outcome arrives as events.
                core.oauth_login(name).await?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let all = [
            Action::Retry,
            Action::NextFreePort,
            Action::OpenWebUi,
            Action::OpenConfigFolder,
            Action::OpenLogsFolder,
            Action::Quit,
            Action::Enable("a-b".into()),
            Action::Disable("a".into()),
            Action::Restart("a".into()),
            Action::Approve("a".into()),
            Action::ApproveTools("a".into()),
            Action::Login("a".into()),
            Action::EditHeadersEnv("my server".into()),
        ];
        for action in all {
            assert_eq!(
                Action::from_id(&action.id()),
                Some(action.clone()),
                "{action:?}"
            );
        }
        assert_eq!(Action::from_id("status:x"), None);
        assert_eq!(Action::from_id("nonsense"), None);
    }
}
