//! Redaction of secret values as `••••<last2> (<N> chars)` (DESIGN.md §5).

use indexmap::IndexMap;

const HEADER_EXACT: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "apikey",
    "cookie",
    "set-cookie",
];
const HEADER_PARTS: &[&str] = &[
    "token",
    "secret",
    "key",
    "password",
    "auth",
    "session",
    "credential",
];
const ENV_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "KEY",
    "PASSWORD",
    "PASS",
    "PWD",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "COOKIE",
    "SESSION",
];

/// True for `${keyring:NAME}` / `${env:VAR}` references, which are never masked.
pub fn is_reference(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with("${keyring:") || v.starts_with("${env:")) && v.ends_with('}')
}

/// Header names whose values are secret.
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    HEADER_EXACT.contains(&lower.as_str()) || HEADER_PARTS.iter().any(|p| lower.contains(p))
}

/// Environment variable names whose values are secret.
pub fn is_sensitive_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ENV_PARTS.iter().any(|p| upper.contains(p))
}

/// `••••<last2> (<N> chars)`; `••••` for values of 4 chars or fewer; references unchanged.
pub fn mask_value(value: &str) -> String {
    if is_reference(value) {
        return value.to_string();
    }
    if let Some(shown) = mask_around_references(value) {
        return shown;
    }
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "••••".to_string();
    }
    let last2: String = chars[chars.len() - 2..].iter().collect();
    format!("••••{last2} ({} chars)", chars.len())
}

/// Auth-scheme words that may stand next to a reference and are shown as written.
const SCHEME_WORDS: &[&str] = &[
    "bearer", "basic", "token", "bot", "digest", "apikey", "api-key", "key",
];

/// For a value with embedded references (`Bearer ${keyring:github_token}`): the references and
/// auth-scheme words as written, any other literal part masked. `None` without a reference.
pub fn mask_around_references(value: &str) -> Option<String> {
    // (start, end) byte ranges of the references in `value`.
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(start) = value[from..].find("${").map(|i| from + i) {
        let Some(end) = value[start..].find('}').map(|i| start + i + 1) else {
            break;
        };
        let inner = &value[start + 2..end - 1];
        if inner.starts_with("keyring:") || inner.starts_with("env:") {
            spans.push((start, end));
        }
        from = end;
    }
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(value.len());
    let mut literal_from = 0;
    for (start, end) in spans {
        out.push_str(&mask_literal(&value[literal_from..start]));
        out.push_str(&value[start..end]);
        literal_from = end;
    }
    out.push_str(&mask_literal(&value[literal_from..]));
    Some(out)
}

/// A literal part next to a reference: kept when it is only separators and scheme words.
fn mask_literal(part: &str) -> String {
    if part.contains("${") {
        // Never recurse into reference handling: a non-reference `${…}` is plain text.
        return "••••".to_string();
    }
    let label = part
        .split(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | ';' | '='))
        .all(|word| word.is_empty() || SCHEME_WORDS.contains(&word.to_ascii_lowercase().as_str()));
    if label {
        return part.to_string();
    }
    let core = part.trim();
    let start = part.len() - part.trim_start().len();
    format!(
        "{}{}{}",
        &part[..start],
        mask_value(core),
        &part[start + core.len()..]
    )
}

/// Masked copy of a header map unless `reveal` is set.
pub fn redact_headers(
    headers: &IndexMap<String, String>,
    reveal: bool,
) -> IndexMap<String, String> {
    redact(headers, reveal, is_sensitive_header)
}

/// Masked copy of an env map unless `reveal` is set.
pub fn redact_env(env: &IndexMap<String, String>, reveal: bool) -> IndexMap<String, String> {
    redact(env, reveal, is_sensitive_env)
}

fn redact(
    map: &IndexMap<String, String>,
    reveal: bool,
    sensitive: fn(&str) -> bool,
) -> IndexMap<String, String> {
    map.iter()
        .map(|(k, v)| {
            let shown = if !reveal && sensitive(k) {
                mask_value(v)
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// The literal secret values of a server (sensitive headers/env, OAuth client secret),
/// excluding `${…}` references; used to scrub them from log lines.
pub fn secret_values(server: &crate::config::ServerConfig) -> Vec<String> {
    let headers = server
        .headers
        .iter()
        .filter(|(k, _)| is_sensitive_header(k));
    let env = server.env.iter().filter(|(k, _)| is_sensitive_env(k));
    let oauth = server
        .oauth
        .as_ref()
        .and_then(|o| o.client_secret.as_deref());
    headers
        .chain(env)
        .map(|(_, v)| v.as_str())
        .chain(oauth)
        .filter(|v| mask_around_references(v).is_none())
        .flat_map(|v| {
            // `Bearer <token>`: the token alone must not leak either.
            let token = v.split_once(' ').map(|(_, t)| t.trim().to_string());
            std::iter::once(v.to_string()).chain(token)
        })
        .collect()
}

/// Error messages (e.g. serde's) quote offending values; replace every quoted part with
/// `…` so that no submitted value is ever echoed.
pub fn strip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                out.push(c);
                quote = Some(c);
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_with_last_two_and_length() {
        assert_eq!(mask_value("Bearer abcdef123456"), "••••56 (19 chars)");
        assert_eq!(mask_value("abcd"), "••••");
        assert_eq!(mask_value(""), "••••");
        assert_eq!(mask_value("${keyring:gh_token}"), "${keyring:gh_token}");
        assert_eq!(mask_value("${env:HOME}"), "${env:HOME}");
    }

    #[test]
    fn embedded_references_pass_through_and_literal_parts_are_masked() {
        assert_eq!(
            mask_value("Bearer ${keyring:github_token}"),
            "Bearer ${keyring:github_token}"
        );
        assert_eq!(
            mask_value("${env:USER}:${keyring:pw}"),
            "${env:USER}:${keyring:pw}"
        );
        assert_eq!(
            mask_value("Bearer abcdef123456 ${keyring:x}"),
            "Bearer abcdef123456 ${keyring:x}".replace("Bearer abcdef123456", "••••56 (19 chars)")
        );
        assert_eq!(mask_value("${other:x}"), "••••x} (10 chars)");
    }

    #[test]
    fn sensitive_names() {
        for h in [
            "Authorization",
            "X-API-Key",
            "Cookie",
            "X-Auth-Token",
            "proxy-authorization",
        ] {
            assert!(is_sensitive_header(h), "{h}");
        }
        assert!(!is_sensitive_header("Accept"));
        for e in [
            "GITHUB_TOKEN",
            "DB_PASSWORD",
            "aws_secret_access_key",
            "PRIVATE_PEM",
            "API_KEY",
        ] {
            assert!(is_sensitive_env(e), "{e}");
        }
        assert!(!is_sensitive_env("PATH"));
        assert!(!is_sensitive_env("LOG_LEVEL"));
    }

    #[test]
    fn quoted_values_are_stripped() {
        assert_eq!(
            strip_quoted("invalid type: string \"s3cr3t\", expected a boolean"),
            "invalid type: string \"…\", expected a boolean"
        );
        assert_eq!(strip_quoted("integer `42`"), "integer `…`");
    }

    #[test]
    fn redaction_respects_reveal() {
        let mut m = IndexMap::new();
        m.insert("Authorization".to_string(), "Bearer 1234567890".to_string());
        m.insert("Accept".to_string(), "text/plain".to_string());
        let r = redact_headers(&m, false);
        assert_eq!(r["Authorization"], "••••90 (17 chars)");
        assert_eq!(r["Accept"], "text/plain");
        assert_eq!(redact_headers(&m, true), m);
    }
}
