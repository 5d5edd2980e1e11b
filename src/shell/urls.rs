//! Addresses the tray opens: the web UI and a server's Headers & Environment editor.

use crate::config::Config;
use std::net::SocketAddr;

/// The API key clients must send: `MCPPROXY_API_KEY` when set, else the config's `api_key`.
pub fn api_key(config: &Config) -> Option<String> {
    crate::api::auth::effective_api_key(config.api_key.as_deref())
}

fn with_key(addr: SocketAddr, key: Option<&str>) -> url::Url {
    let mut url = url::Url::parse(&format!("http://{addr}/ui/")).expect("static URL shape");
    if let Some(key) = key {
        // The UI stores `?apikey=` and removes it from the address.
        url.query_pairs_mut().append_pair("apikey", key);
    }
    url
}

/// The web UI, signed in with `key`.
pub fn web_ui(addr: SocketAddr, key: Option<&str>) -> url::Url {
    with_key(addr, key)
}

/// The web UI's config page of `server` (its Headers and Environment Variables cards) in
/// embedded mode (no navigation chrome): `/ui/?apikey=KEY#/servers/NAME/config?embed=1`.
pub fn editor(addr: SocketAddr, key: Option<&str>, server: &str) -> url::Url {
    let mut url = with_key(addr, key);
    let name: String = url::form_urlencoded::byte_serialize(server.as_bytes()).collect();
    url.set_fragment(Some(&format!("/servers/{name}/config?embed=1")));
    url
}

/// Tauri window label of a server's editor (labels allow only `a-zA-Z0-9-/:_`).
pub fn editor_label(server: &str) -> String {
    let mut label = String::from("editor-");
    for byte in server.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            label.push(byte as char);
        } else {
            label.push_str(&format!("_{byte:02x}"));
        }
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_url_carries_route_key_and_embed_flag() {
        let addr: SocketAddr = "127.0.0.1:8123".parse().unwrap();
        assert_eq!(
            editor(addr, Some("k3y"), "my.server").as_str(),
            "http://127.0.0.1:8123/ui/?apikey=k3y#/servers/my.server/config?embed=1"
        );
        assert_eq!(web_ui(addr, None).as_str(), "http://127.0.0.1:8123/ui/");
        assert_eq!(
            editor(addr, None, "a&b").fragment(),
            Some("/servers/a%26b/config?embed=1")
        );
    }

    #[test]
    fn labels_are_valid_and_distinct() {
        assert_eq!(editor_label("github-2"), "editor-github-2");
        assert_eq!(editor_label("a.b"), "editor-a_2eb");
        assert_ne!(editor_label("a.b"), editor_label("a_b"));
    }
}
