//! `${keyring:NAME}` and `${env:VAR}` references: finding and resolving them.

use super::keyring::{Keyring, KeyringError};
use crate::config::ServerConfig;
use crate::upstream::connect::ResolvedServer;

/// A reference found in a config value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `${keyring:NAME}`.
    Keyring(String),
    /// `${env:VAR}`.
    Env(String),
}

/// Every reference in `value`, in order.
pub fn references(value: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        if let Some(name) = inner.strip_prefix("keyring:") {
            out.push(Reference::Keyring(name.to_string()));
        } else if let Some(name) = inner.strip_prefix("env:") {
            out.push(Reference::Env(name.to_string()));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Why a server's references cannot be resolved (names the secret and the fix).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    /// The keyring has no entry of that name.
    #[error("secret `{0}` is not in the OS keyring; set it with `mcpproxy secrets set {0}` (or in the web UI's Secrets page)")]
    MissingSecret(String),
    /// The core's environment lacks the variable.
    #[error("environment variable `{0}` referenced as ${{env:{0}}} is not set in mcpproxy's environment; set it before starting mcpproxy")]
    MissingEnv(String),
    /// The keyring failed.
    #[error("{0}")]
    Keyring(#[from] KeyringError),
}

/// Replace every reference in `value` using `lookup`.
pub fn substitute(
    value: &str,
    lookup: &mut impl FnMut(&Reference) -> Result<String, ResolveError>,
) -> Result<String, ResolveError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        let reference = if let Some(name) = inner.strip_prefix("keyring:") {
            Some(Reference::Keyring(name.to_string()))
        } else {
            inner
                .strip_prefix("env:")
                .map(|name| Reference::Env(name.to_string()))
        };
        match reference {
            Some(reference) => out.push_str(&lookup(&reference)?),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Look a reference up in the OS keyring / the process environment (blocking).
pub fn lookup(reference: &Reference) -> Result<String, ResolveError> {
    match reference {
        Reference::Keyring(name) => {
            Keyring::get(name)?.ok_or_else(|| ResolveError::MissingSecret(name.clone()))
        }
        Reference::Env(name) => {
            std::env::var(name).map_err(|_| ResolveError::MissingEnv(name.clone()))
        }
    }
}

/// All references of a server (env, headers, args, oauth client secret).
pub fn server_references(server: &ServerConfig) -> Vec<Reference> {
    let oauth = server
        .oauth
        .as_ref()
        .and_then(|o| o.client_secret.clone())
        .into_iter();
    server
        .env
        .values()
        .chain(server.headers.values())
        .chain(server.args.iter())
        .cloned()
        .chain(oauth)
        .flat_map(|v| references(&v))
        .collect()
}

/// A server with every reference resolved (blocking: call from the blocking pool).
pub fn resolve_server(server: &ServerConfig) -> Result<ResolvedServer, ResolveError> {
    if server_references(server).is_empty() {
        return Ok(ResolvedServer::plain(server));
    }
    let mut found = Vec::new();
    let mut recording = |reference: &Reference| -> Result<String, ResolveError> {
        let value = lookup(reference)?;
        found.push(value.clone());
        Ok(value)
    };
    let mut resolve = |v: &String| substitute(v, &mut recording);
    let env = server
        .env
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolve(v)?)))
        .collect::<Result<Vec<_>, ResolveError>>()?;
    let headers = server
        .headers
        .iter()
        .map(|(k, v)| Ok((k.clone(), resolve(v)?)))
        .collect::<Result<Vec<_>, ResolveError>>()?;
    let args = server
        .args
        .iter()
        .map(&mut resolve)
        .collect::<Result<Vec<_>, ResolveError>>()?;
    let mut config = server.clone();
    if let Some(oauth) = config.oauth.as_mut() {
        if let Some(secret) = oauth.client_secret.as_ref() {
            oauth.client_secret = Some(resolve(secret)?);
        }
    }
    Ok(ResolvedServer {
        config,
        env,
        headers,
        args,
        secret_values: found,
    })
}

/// Every value to scrub from a server's outputs: its literal secrets and what its references
/// resolved to.
pub fn scrub_values(original: &ServerConfig, resolved: &ResolvedServer) -> Vec<String> {
    let mut values = super::secret_values(original);
    values.extend(resolved_secret_values(original, resolved));
    values
}

/// The resolved secret values of `resolved` (for scrubbing logs and errors): the value of every
/// `${keyring:}`/`${env:}` reference wherever it was used (env, headers, args,
/// `oauth.client_secret`), plus whole env/header values built around one.
pub fn resolved_secret_values(original: &ServerConfig, resolved: &ResolvedServer) -> Vec<String> {
    let mut values = resolved.secret_values.clone();
    for (k, v) in &resolved.env {
        if original
            .env
            .get(k)
            .is_some_and(|o| !references(o).is_empty())
        {
            values.push(v.clone());
        }
    }
    for (k, v) in &resolved.headers {
        if original
            .headers
            .get(k)
            .is_some_and(|o| !references(o).is_empty())
        {
            values.push(v.clone());
            if let Some((_, token)) = v.split_once(' ') {
                values.push(token.trim().to_string());
            }
        }
    }
    values.retain(|v| v.len() >= 4);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_substitutes_embedded_references() {
        assert_eq!(
            references("Bearer ${keyring:gh} and ${env:HOME}"),
            vec![
                Reference::Keyring("gh".into()),
                Reference::Env("HOME".into())
            ]
        );
        let mut lookup = |r: &Reference| match r {
            Reference::Keyring(n) => Ok(format!("<{n}>")),
            Reference::Env(n) => Err(ResolveError::MissingEnv(n.clone())),
        };
        assert_eq!(
            substitute("Bearer ${keyring:gh}!", &mut lookup).unwrap(),
            "Bearer <gh>!"
        );
        assert_eq!(
            substitute("${other:x} stays", &mut lookup).unwrap(),
            "${other:x} stays"
        );
        let err = substitute("${env:NOPE}", &mut lookup)
            .unwrap_err()
            .to_string();
        assert!(err.contains("NOPE"));
        assert_eq!(substitute("no refs", &mut lookup).unwrap(), "no refs");
        assert_eq!(
            substitute("${unterminated", &mut lookup).unwrap(),
            "${unterminated"
        );
    }

    #[test]
    fn resolved_values_of_args_and_oauth_are_scrubbed_too() {
        let path = std::env::var("PATH").unwrap();
        let server: ServerConfig = serde_json::from_value(serde_json::json!({
            "name": "s", "command": "x", "args": ["--p=${env:PATH}"],
            "oauth": {"client_secret": "${env:PATH}"}}))
        .unwrap();
        let resolved = resolve_server(&server).unwrap();
        assert_eq!(resolved.args, vec![format!("--p={path}")]);
        let values = scrub_values(&server, &resolved);
        assert!(values.contains(&path), "{values:?}");
    }

    #[test]
    fn env_references_resolve_from_the_process() {
        let mut server: ServerConfig =
            serde_json::from_value(serde_json::json!({"name": "s", "command": "x"})).unwrap();
        server.env.insert("P".into(), "${env:PATH}".into());
        let resolved = resolve_server(&server).unwrap();
        assert_eq!(resolved.env[0].1, std::env::var("PATH").unwrap());
        server
            .env
            .insert("Q".into(), "${env:MCPPROXY_TEST_SURELY_UNSET}".into());
        let err = resolve_server(&server).unwrap_err().to_string();
        assert!(err.contains("MCPPROXY_TEST_SURELY_UNSET"), "{err}");
    }
}
