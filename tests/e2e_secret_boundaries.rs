//! Where secrets may and may not go (issue 16, items 3, 5, 6, 7), through the real binary:
//! the environment stdio upstreams inherit (server-everything's `get-env`, started with `node`
//! and with `npx`, and a Python server), resolved `${keyring:}`/`${env:}` values on every output
//! surface, references shown as written inside a value, and no silent overwrite of a keyring
//! secret. Keyring tests need a Secret Service (scripts/test.sh runs the suite in a private dbus
//! session with an unlocked gnome-keyring); outside CI they skip without one.

mod common;
mod rest_support;

use common::*;
use mcpproxy::secrets::keyring::Keyring;
use rest_support::{Api, Events, KEY, READY};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// False (after saying why) when no Secret Service is reachable outside CI.
fn keyring_ready() -> bool {
    match Keyring::probe() {
        Ok(()) => true,
        Err(err) => {
            assert!(!in_ci(), "CI must provide a Secret Service: {err}");
            eprintln!("skipping keyring test: {err}");
            false
        }
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Run the CLI against `proxy`.
fn cli(proxy: &Proxy, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = std::process::Command::new(proxy_bin())
        .arg("--config")
        .arg(&proxy.config_path)
        .args(args)
        .env("MCPPROXY_API_KEY", KEY)
        .env("MCPPROXY_LISTEN", proxy.base.trim_start_matches("http://"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Start a proxy with `config` (plus listen/api_key) and extra environment for the core.
fn start_proxy(config: Value, envs: &[(&str, &str)]) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config;
    config["listen"] = json!("127.0.0.1:0");
    config["api_key"] = json!(KEY);
    if let Some(servers) = config["mcpServers"].as_array_mut() {
        for server in servers {
            server["quarantined"] = json!(false);
        }
    }
    let path = dir.path().join("mcp_config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    Proxy::start_with_config_env(dir, path, envs)
}

/// The environment an upstream reports through its env tool (a JSON object).
async fn upstream_env(client: &Client, tool: &str) -> serde_json::Map<String, Value> {
    let result = call(client, "call_tool_read", json!({"name": tool, "args": {}})).await;
    let body = text(&result);
    match serde_json::from_str::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        _ => panic!("{tool} did not return a JSON object: {body}"),
    }
}

/// The core's own environment in these tests: secrets an upstream must never see.
const CORE_SECRETS: &[(&str, &str)] = &[
    ("AWS_SECRET_ACCESS_KEY", "aws-secret-3c9f1e77a2b4"),
    ("GITHUB_TOKEN", "ghp_e2eCoreToken0123456789"),
    ("SSH_AUTH_SOCK", "/tmp/ssh-e2e/agent.42"),
    ("MCPPROXY_API_KEY", KEY),
    (
        "HTTPS_PROXY",
        "http://proxyuser:proxypass-77@proxy.example:3128",
    ),
    ("no_proxy", "localhost,.corp"),
];

fn servers_for_env_test() -> Value {
    let npm = npm_dir();
    json!([
        {"name": "everything", "command": "node", "args": [everything_js(), "stdio"],
         "env": {"SERVER_OWN": "own-value"}},
        {"name": "everything-npx", "command": "npx",
         "args": ["--offline", "--no", "mcp-server-everything", "stdio"],
         "working_dir": npm, "env": {"SERVER_OWN": "npx-own"}},
        {"name": "py", "command": "python3",
         "args": [Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/env_server.py")]},
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_upstreams_get_only_the_allow_listed_environment() {
    let proxy = start_proxy(
        json!({"mcpServers": servers_for_env_test(),
               "environment": {"custom_vars": {"TEAM_SETTING": "from-custom-vars"}}}),
        CORE_SECRETS,
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    for (server, tool, own) in [
        ("everything", "everything:get-env", Some("own-value")),
        ("everything-npx", "everything-npx:get-env", Some("npx-own")),
        ("py", "py:get_env", None),
    ] {
        wait_for_tool(&client, "environment variables", tool).await;
        let env = upstream_env(&client, tool).await;
        for (name, _) in CORE_SECRETS {
            assert!(
                !env.contains_key(*name),
                "{server} inherited {name} from the core: {:?}",
                env.keys().collect::<Vec<_>>()
            );
        }
        assert!(
            !env.keys().any(|k| k.starts_with("MCPPROXY_")),
            "{server}: {env:?}"
        );
        // npx puts its own directories in front of PATH; the core's PATH must follow.
        let path = env.get("PATH").and_then(Value::as_str).unwrap_or_default();
        assert!(
            path.ends_with(&std::env::var("PATH").unwrap()),
            "{server} must get PATH: {path}"
        );
        assert_eq!(
            env.get("HOME").and_then(Value::as_str),
            std::env::var("HOME").ok().as_deref(),
            "{server} must get HOME"
        );
        assert_eq!(env["TEAM_SETTING"], "from-custom-vars", "{server}");
        if let Some(own) = own {
            assert_eq!(env["SERVER_OWN"], own, "{server} gets its own env");
        }
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_variables_reach_upstreams_only_with_forward_proxy_env_and_without_credentials() {
    let everything =
        json!([{"name": "everything", "command": "node", "args": [everything_js(), "stdio"]}]);
    let proxy = start_proxy(
        json!({"mcpServers": everything, "forward_proxy_env": true}),
        CORE_SECRETS,
    );
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "environment variables", "everything:get-env").await;
    let env = upstream_env(&client, "everything:get-env").await;
    assert_eq!(env["HTTPS_PROXY"], "http://proxy.example:3128", "{env:?}");
    assert_eq!(env["no_proxy"], "localhost,.corp");
    assert!(!env.contains_key("GITHUB_TOKEN"));
    let stderr = std::fs::read_to_string(&proxy.stderr_log).unwrap_or_default();
    assert!(!stderr.contains("proxypass-77"), "{stderr}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn resolved_secrets_in_args_reach_no_output() {
    if !keyring_ready() {
        return;
    }
    let secret = unique("argv_secret");
    let keyring_value = "kr-argv-5d1c9e3a7f20";
    let env_value = "env-argv-8b6f4d2c0e19";
    Keyring::set(&secret, keyring_value).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The "server": prints its argv on stderr and exits (a failed start shows the last line).
    let script = dir.path().join("argv.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"starting with $*\" >&2\nexit 3\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let proxy = start_proxy(
        json!({"mcpServers": [{"name": "leaky", "command": script,
            "args": [format!("--token=${{keyring:{secret}}}"), "${env:E2E_ARG_SECRET}"]}]}),
        &[("E2E_ARG_SECRET", env_value)],
    );
    let events = Events::subscribe(&proxy.base).await;
    let api = Api::new(&proxy.base);
    // The start failed and the error carries the server's last stderr line (masked).
    let view = wait_for("leaky to fail with its stderr line", READY, || async {
        let view = api.server("leaky").await;
        view["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("starting with"))
            .then_some(view)
    })
    .await;
    events
        .wait("servers.changed", |d| {
            d.to_string().contains("starting with")
        })
        .await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let listed = text(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    assert!(listed.contains("starting with"), "{listed}");
    let cli_json = stdout(&cli(&proxy, &["-o", "json", "upstream", "list"], None));
    assert!(cli_json.contains("starting with"), "{cli_json}");
    let cli_table = stdout(&cli(&proxy, &["upstream", "list"], None));
    let log = std::fs::read_to_string(proxy.server_log("leaky")).unwrap();
    assert!(log.contains("starting with"), "{log}");
    let core_stderr = std::fs::read_to_string(&proxy.stderr_log).unwrap_or_default();
    assert!(core_stderr.contains("starting with"), "{core_stderr}");
    for (surface, seen) in [
        ("REST last_error", view.to_string()),
        ("/events", events.transcript()),
        ("MCP upstream_servers list", listed),
        ("CLI upstream list -o json", cli_json),
        ("CLI upstream list", cli_table),
        ("logs/server-leaky.log", log),
        ("core stderr", core_stderr),
    ] {
        for plain in [keyring_value, env_value] {
            assert!(
                !seen.contains(plain),
                "{surface} shows the resolved secret {plain}:\n{seen}"
            );
        }
    }
    // The references themselves stay visible as written.
    assert_eq!(
        view["args"][0],
        format!("--token=${{keyring:{secret}}}"),
        "{view}"
    );
    Keyring::delete(&secret).unwrap();
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reference_inside_a_value_shows_as_written() {
    if !keyring_ready() {
        return;
    }
    let secret = unique("gh_token");
    let token = "ghp-inside-value-0a1b2c3d4e5f";
    Keyring::set(&secret, token).unwrap();
    let fixture = HttpFixture::start("web");
    let written = format!("Bearer ${{keyring:{secret}}}");
    let proxy = start_proxy(
        json!({"mcpServers": [{"name": "web", "protocol": "http", "url": fixture.url,
            "headers": {"Authorization": written, "X-Api-Key": "literal-key-9f8e7d6c"}}]}),
        &[],
    );
    let events = Events::subscribe(&proxy.base).await;
    let api = Api::new(&proxy.base);
    api.wait_ready("web").await;
    // The upstream receives the resolved value.
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "header", "web:get_header").await;
    let seen = text(
        &call(
            &client,
            "call_tool_read",
            json!({"name": "web:get_header", "args": {"name": "authorization"}}),
        )
        .await,
    );
    assert_eq!(seen, format!("Bearer {token}"));
    // Every read surface shows the reference as written; the literal secret stays masked.
    let rest = api.server("web").await;
    assert_eq!(rest["headers"]["Authorization"], written, "{rest}");
    assert_eq!(rest["headers"]["X-Api-Key"], "••••6c (20 chars)");
    let listed: Value =
        json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    assert_eq!(listed["servers"][0]["headers"]["Authorization"], written);
    let restarted = api.post("/servers/web/restart", json!({})).await;
    assert_eq!(restarted.status, 200, "{}", restarted.text);
    let changed = events
        .wait("servers.changed", |d| {
            d["name"] == "web" && d["server"].is_object()
        })
        .await;
    assert_eq!(changed["server"]["headers"]["Authorization"], written);
    let shown = cli(&proxy, &["-o", "json", "upstream", "list"], None);
    assert!(
        stdout(&shown).contains(&written),
        "{}{}",
        stdout(&shown),
        stderr(&shown)
    );
    Keyring::delete(&secret).unwrap();
    client.cancel().await.unwrap();
}

/// The value fixture server `server` currently receives as header `name`.
async fn header_of(client: &Client, server: &str, name: &str) -> String {
    text(
        &call(
            client,
            "call_tool_read",
            json!({"name": format!("{server}:get_header"), "args": {"name": name}}),
        )
        .await,
    )
}

async fn wait_header(client: &Client, server: &str, name: &str, expected: &str) {
    wait_for(
        &format!("{server} to receive the new {name}"),
        READY,
        || async { (header_of(client, server, name).await == expected).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_secret_is_replaced_only_on_request_and_its_users_reconnect() {
    if !keyring_ready() {
        return;
    }
    let shared = unique("shared");
    let (first, second, third) = (
        "shared-value-one-1111",
        "literal-of-b-2222",
        "rotated-value-3333",
    );
    Keyring::set(&shared, first).unwrap();
    let fx_a = HttpFixture::start("a");
    let fx_b = HttpFixture::start("b");
    let proxy = start_proxy(
        json!({"mcpServers": [
            {"name": "a", "protocol": "http", "url": fx_a.url,
             "headers": {"X-Api-Key": format!("${{keyring:{shared}}}")}},
            {"name": "b", "protocol": "http", "url": fx_b.url,
             "headers": {"X-Api-Key": second}}]}),
        &[],
    );
    let api = Api::new(&proxy.base);
    api.wait_ready("a").await;
    api.wait_ready("b").await;
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "header", "a:get_header").await;
    assert_eq!(header_of(&client, "a", "x-api-key").await, first);

    // REST `secrets set` of an existing name: 409 naming the secret and its user.
    let refused = api
        .post("/secrets", json!({"name": shared, "value": third}))
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    let message = refused.error();
    assert!(
        message.contains(&shared) && message.contains("`a`") && message.contains("overwrite"),
        "{message}"
    );
    // CLI likewise, unless --force.
    let out = cli(&proxy, &["secrets", "set", &shared], Some(third));
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("`a`") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    // Convert-to-secret into the existing name: 409, nothing changed.
    let config_before = std::fs::read_to_string(&proxy.config_path).unwrap();
    let convert = json!({"scope": "header", "key": "X-Api-Key", "secret_name": shared});
    let refused = api
        .post("/servers/b/config-to-secret", convert.clone())
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.error().contains("`a`"), "{}", refused.text);
    assert_eq!(Keyring::get(&shared).unwrap().as_deref(), Some(first));
    assert_eq!(
        std::fs::read_to_string(&proxy.config_path).unwrap(),
        config_before
    );
    assert_eq!(header_of(&client, "a", "x-api-key").await, first);

    // With consent: CLI --force replaces it and `a` reconnects with the new value.
    let out = cli(&proxy, &["secrets", "set", "--force", &shared], Some(third));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(Keyring::get(&shared).unwrap().as_deref(), Some(third));
    wait_header(&client, "a", "x-api-key", third).await;
    // Convert with overwrite: b's literal moves into the keyring; a follows.
    let mut convert = convert;
    convert["overwrite"] = json!(true);
    let converted = api.post("/servers/b/config-to-secret", convert).await;
    assert_eq!(
        converted.data()["headers"]["X-Api-Key"],
        format!("${{keyring:{shared}}}")
    );
    assert_eq!(Keyring::get(&shared).unwrap().as_deref(), Some(second));
    wait_header(&client, "a", "x-api-key", second).await;
    wait_header(&client, "b", "x-api-key", second).await;
    // REST with overwrite works too.
    let stored = api
        .post(
            "/secrets",
            json!({"name": shared, "value": first, "overwrite": true}),
        )
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    wait_header(&client, "a", "x-api-key", first).await;
    Keyring::delete(&shared).unwrap();
    client.cancel().await.unwrap();
}
