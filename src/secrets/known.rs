//! Every secret value the running core knows, gathered for scrubbing stored records: the
//! configured secret header/env/args values and OAuth client secrets of every server, the
//! resolved values of their `${keyring:}`/`${env:}` references, OAuth tokens, and the API key.
//! A tool may echo another server's credentials too, so all servers count for every record.

use super::mask::{is_reference, is_sensitive_env, secret_values};
use super::scrub::Scrubber;
use crate::config::ServerConfig;
use crate::core::Core;

/// Secret values in a server's `args`: the value after a sensitive flag (`--token X`,
/// `--api-key=X`) and the value of a sensitive `NAME=value` argument (`-e GITHUB_TOKEN=X`).
pub fn arg_secret_values(server: &ServerConfig) -> Vec<String> {
    let mut values = Vec::new();
    let mut previous_flag_sensitive = false;
    for arg in &server.args {
        if previous_flag_sensitive && !arg.starts_with('-') {
            values.push(arg.clone());
        }
        previous_flag_sensitive = false;
        let trimmed = arg.trim_start_matches('-');
        if let Some((name, value)) = trimmed.split_once('=') {
            if is_sensitive_env(&name.replace('-', "_")) {
                values.push(value.to_string());
            }
        } else if arg.starts_with("--") && is_sensitive_env(&trimmed.replace('-', "_")) {
            previous_flag_sensitive = true;
        }
    }
    // Short values (`--auth true`) would mask ordinary words everywhere.
    values.retain(|v| !is_reference(v) && v.chars().count() >= 8);
    values
}

/// All secret values the core knows right now (see the module doc).
pub fn secret_values_of(core: &Core) -> Vec<String> {
    let config = core.config();
    let mut values: Vec<String> = config
        .mcp_servers
        .iter()
        .flat_map(|s| secret_values(s).into_iter().chain(arg_secret_values(s)))
        .collect();
    for upstream in core.upstreams.all() {
        values.extend(upstream.log.secrets());
    }
    values.extend(core.upstreams.context().oauth.token_values());
    values.extend(crate::api::auth::effective_api_key(
        config.api_key.as_deref(),
    ));
    values
}

/// A [`Scrubber`] over every secret the core knows.
pub fn scrubber(core: &Core) -> Scrubber {
    Scrubber::new(secret_values_of(core))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_arguments_are_found() {
        let server: ServerConfig = serde_json::from_value(serde_json::json!({
            "name": "s",
            "command": "x",
            "args": ["--token", "tok-123456", "--api-key=key-abcdef", "-e", "GITHUB_TOKEN=gh-value",
                     "--verbose", "plain", "--password", "${keyring:pw}"]
        }))
        .unwrap();
        assert_eq!(
            arg_secret_values(&server),
            vec!["tok-123456", "key-abcdef", "gh-value"]
        );
    }
}
