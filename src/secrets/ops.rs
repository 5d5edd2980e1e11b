//! Secret operations shared by REST and the UI: list, set, delete, config-to-secret.

use super::keyring::Keyring;
use super::resolve::{references, Reference};
use crate::core::{ChangeError, Core};
use crate::events::CoreEvent;
use serde::Serialize;

/// Where a secret is referenced.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SecretUse {
    /// Server name.
    pub server: String,
    /// `env`, `header`, `arg` or `oauth`.
    pub scope: String,
    /// Variable/header name, argument index or `client_secret`.
    pub key: String,
}

/// A keyring secret as shown to people: never its value.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SecretInfo {
    /// Entry name (`${keyring:NAME}`).
    pub name: String,
    /// Whether the OS keyring holds a value for it.
    pub set: bool,
    /// Config places that reference it.
    pub referenced_by: Vec<SecretUse>,
}

/// Check a secret name: letters, digits, `_`, `-`, `.`; 1–128 characters.
pub fn validate_name(name: &str) -> Result<(), ChangeError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ChangeError::BadRequest(format!(
            "secret name `{name}` is invalid: use 1–128 letters, digits, '_', '-' or '.' (e.g. github_token)"
        )))
    }
}

fn keyring_error(err: super::keyring::KeyringError) -> ChangeError {
    ChangeError::Io {
        path: "OS keyring".into(),
        message: err.to_string(),
    }
}

/// Every place in the config that references keyring secret `name` (all when `None`).
fn uses(core: &Core) -> Vec<(String, SecretUse)> {
    let mut out = Vec::new();
    for server in core.config().mcp_servers {
        let mut push = |scope: &str, key: String, value: &str| {
            for reference in references(value) {
                if let Reference::Keyring(name) = reference {
                    out.push((
                        name,
                        SecretUse {
                            server: server.name.clone(),
                            scope: scope.into(),
                            key: key.clone(),
                        },
                    ));
                }
            }
        };
        for (k, v) in &server.env {
            push("env", k.clone(), v);
        }
        for (k, v) in &server.headers {
            push("header", k.clone(), v);
        }
        for (i, v) in server.args.iter().enumerate() {
            push("arg", i.to_string(), v);
        }
        if let Some(secret) = server.oauth.as_ref().and_then(|o| o.client_secret.as_ref()) {
            push("oauth", "client_secret".into(), secret);
        }
    }
    out
}

/// Secrets referenced by the config or set through MCPProxy, with whether each is set.
pub async fn list(core: &Core) -> Result<Vec<SecretInfo>, ChangeError> {
    let all_uses = uses(core);
    let mut names: Vec<String> = all_uses.iter().map(|(n, _)| n.clone()).collect();
    names.extend(core.store.secret_names().unwrap_or_default());
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let set = Keyring::get_async(&name)
            .await
            .map_err(keyring_error)?
            .is_some();
        let referenced_by = all_uses
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, u)| u.clone())
            .collect();
        out.push(SecretInfo {
            name,
            set,
            referenced_by,
        });
    }
    Ok(out)
}

/// Names of the servers that reference keyring secret `name` (sorted, once each).
fn servers_using(core: &Core, name: &str) -> Vec<String> {
    let mut servers: Vec<String> = uses(core)
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, u)| u.server)
        .collect();
    servers.sort();
    servers.dedup();
    servers
}

/// Refuse to replace an existing keyring entry unless the caller asked to overwrite it.
async fn refuse_overwrite(core: &Core, name: &str, overwrite: bool) -> Result<(), ChangeError> {
    if overwrite
        || Keyring::get_async(name)
            .await
            .map_err(keyring_error)?
            .is_none()
    {
        return Ok(());
    }
    let users = servers_using(core, name);
    let used = if users.is_empty() {
        "no server references it".to_string()
    } else {
        format!(
            "used by {} {}",
            if users.len() == 1 {
                "server"
            } else {
                "servers"
            },
            users
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Err(ChangeError::Conflict(format!(
        "secret `{name}` already exists in the OS keyring ({used}); choose another name, or replace it \
         with `\"overwrite\": true` (CLI: `--force`) — servers using it then reconnect with the new value"
    )))
}

/// Reconnect every server that references keyring secret `name`.
async fn reconnect_users(core: &Core, name: &str) {
    reconnect_users_except(core, name, None).await;
}

/// [`reconnect_users`] except `skip` (a server that restarts anyway).
async fn reconnect_users_except(core: &Core, name: &str, skip: Option<&str>) {
    for server in servers_using(core, name) {
        if Some(server.as_str()) != skip {
            core.restart_server(&server).await;
        }
    }
    core.events.publish(CoreEvent::SecretsChanged {
        name: name.to_string(),
    });
}

/// Store `value` as keyring secret `name` and reconnect the servers that use it. An existing
/// entry is replaced only with `overwrite` (otherwise a conflict naming its users).
pub async fn set(
    core: &Core,
    name: &str,
    value: &str,
    overwrite: bool,
) -> Result<SecretInfo, ChangeError> {
    validate_name(name)?;
    if value.is_empty() {
        return Err(ChangeError::BadRequest(
            "`value` is empty; give the secret's value".into(),
        ));
    }
    refuse_overwrite(core, name, overwrite).await?;
    Keyring::set_async(name, value)
        .await
        .map_err(keyring_error)?;
    let _ = core.store.add_secret_name(name);
    reconnect_users(core, name).await;
    Ok(info(core, name, true))
}

fn info(core: &Core, name: &str, set: bool) -> SecretInfo {
    SecretInfo {
        name: name.to_string(),
        set,
        referenced_by: uses(core)
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, u)| u)
            .collect(),
    }
}

/// Delete keyring secret `name`; servers using it reconnect (and report it missing).
pub async fn delete(core: &Core, name: &str) -> Result<SecretInfo, ChangeError> {
    validate_name(name)?;
    let existed = Keyring::delete_async(name).await.map_err(keyring_error)?;
    let known = core
        .store
        .secret_names()
        .unwrap_or_default()
        .iter()
        .any(|n| n == name);
    if !existed && !known {
        return Err(ChangeError::NotFound(format!(
            "no secret named `{name}` in the OS keyring"
        )));
    }
    let _ = core.store.remove_secret_name(name);
    reconnect_users(core, name).await;
    Ok(info(core, name, false))
}

/// Move the literal value of a server's header/env `key` into keyring secret `secret_name`
/// and replace it with `${keyring:secret_name}`. Works when the caller only saw the masked
/// value. If saving the config fails, the keyring entry is removed again. An existing entry
/// `secret_name` is replaced only with `overwrite`; then the other servers using it reconnect.
pub async fn config_to_secret(
    core: &Core,
    server: &str,
    scope: &str,
    key: &str,
    secret_name: &str,
    overwrite: bool,
) -> Result<(), ChangeError> {
    validate_name(secret_name)?;
    let config = core.config();
    let entry = config
        .mcp_servers
        .iter()
        .find(|s| s.name == server)
        .ok_or_else(|| ChangeError::NotFound(format!("no server named `{server}`")))?;
    let map = match scope {
        "header" => &entry.headers,
        "env" => &entry.env,
        other => {
            return Err(ChangeError::BadRequest(format!(
                "`scope` must be \"header\" or \"env\", not `{other}`"
            )))
        }
    };
    let value = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            ChangeError::NotFound(format!("server `{server}` has no {scope} `{key}`"))
        })?;
    if !references(&value).is_empty() {
        return Err(ChangeError::BadRequest(format!(
            "{scope} `{key}` is already a secret reference ({value})"
        )));
    }
    if value.is_empty() {
        return Err(ChangeError::BadRequest(format!(
            "{scope} `{key}` is empty; there is nothing to move into the keyring"
        )));
    }
    refuse_overwrite(core, secret_name, overwrite).await?;
    let previous = Keyring::get_async(secret_name)
        .await
        .map_err(keyring_error)?;
    Keyring::set_async(secret_name, &value)
        .await
        .map_err(keyring_error)?;
    let reference = format!("${{keyring:{secret_name}}}");
    let result = core
        .mutate_config(|cfg| {
            let entry = cfg
                .mcp_servers
                .iter_mut()
                .find(|s| s.name == server)
                .ok_or_else(|| ChangeError::NotFound(format!("no server named `{server}`")))?;
            let map = if scope == "header" {
                &mut entry.headers
            } else {
                &mut entry.env
            };
            let slot = map
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    ChangeError::NotFound(format!("server `{server}` has no {scope} `{key}`"))
                })?;
            *slot = reference.clone();
            Ok(())
        })
        .await;
    if let Err(err) = result {
        // Roll back so nothing is half-done.
        let _ = match previous {
            Some(old) => Keyring::set_async(secret_name, &old).await,
            None => Keyring::delete_async(secret_name).await.map(|_| ()),
        };
        return Err(err);
    }
    let _ = core.store.add_secret_name(secret_name);
    if previous.is_some() {
        // Replaced: the other servers using the name must pick up the new value.
        reconnect_users_except(core, secret_name, Some(server)).await;
    }
    core.events.publish(CoreEvent::SecretsChanged {
        name: secret_name.to_string(),
    });
    Ok(())
}
