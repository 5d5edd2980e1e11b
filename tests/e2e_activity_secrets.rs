//! End-to-end: no secret reaches the activity log. The real `mcpproxy` binary in front of
//! `@modelcontextprotocol/server-everything` (stdio), whose `get-env` tool dumps its whole
//! environment — including the AWS keys, GitHub token and resolved `${env:}` password put in
//! the server's configured `env` — and whose `echo` tool returns what it is sent. Checked: the
//! stored records (REST, CLI `activity show`/`export`, and the raw bytes of `mcpproxy.db` and
//! its WAL) hold no secret, even when one crosses the 2,000-character excerpt cut; detected
//! credential types are flagged and filterable; the client still gets every response unchanged.

mod common;
mod rest_support;

use common::*;
use rest_support::{Api, KEY};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

const AWS_KEY_ID: &str = "AKIAQWERTYUIOPASDF12";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9SECRET1";
const GITHUB_TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyzABCDEF0123";
const DB_PASSWORD: &str = "resolved-db-pass-7781";
const STRIPE_KEY: &str = "sk_live_abcdefghijklmnop1234";
const ANTHROPIC_KEY: &str = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123";
const CARD: &str = "4111 1111 1111 1111";
/// Configured under a sensitive name; 27 characters, placed across the excerpt cut.
const CUT_SECRET: &str = "cut-secret-0123456789abcdef";

/// The proxy in front of server-everything, whose configured `env` holds the secrets (so the
/// server has them whatever environment allow-list applies to the core's own variables).
fn start_proxy() -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        // A fixed port: the CLI finds the core through `listen`.
        "listen": format!("127.0.0.1:{}", free_port()),
        "api_key": KEY,
        "mcpServers": [{
            "name": "ev",
            "protocol": "stdio",
            "command": "node",
            "args": [everything_js(), "stdio"],
            "quarantined": false,
            "env": {
                "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
                "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
                "GITHUB_TOKEN": GITHUB_TOKEN,
                "DB_PASSWORD": "${env:E2E_ACTIVITY_DB_PASSWORD}",
                "API_TOKEN": CUT_SECRET,
                // Not under a sensitive name: only detection can catch it.
                "BILLING_NOTE": format!("stripe {STRIPE_KEY}"),
            },
        }],
    });
    let config_path = dir.path().join("mcp_config.json");
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    Proxy::start_with_config_env(
        dir,
        config_path,
        &[("E2E_ACTIVITY_DB_PASSWORD", DB_PASSWORD)],
    )
}

async fn wait_for_direct_tool(client: &Client, name: &str) {
    wait_for(name, Duration::from_secs(60), || async {
        let tools = client.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == name).then_some(())
    })
    .await;
}

fn all_secrets() -> Vec<&'static str> {
    vec![
        AWS_KEY_ID,
        AWS_SECRET,
        GITHUB_TOKEN,
        DB_PASSWORD,
        STRIPE_KEY,
        ANTHROPIC_KEY,
        CARD,
        KEY,
        CUT_SECRET,
        // What a cut used to leave of the excerpt-crossing secret.
        &CUT_SECRET[..10],
        "cut-secre",
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in all_secrets() {
        assert!(
            !text.contains(secret),
            "{what} contains the secret `{secret}`:\n{text}"
        );
    }
}

fn cli(proxy: &Proxy, args: &[&str]) -> String {
    let output = Command::new(proxy_bin())
        .arg("--config")
        .arg(&proxy.config_path)
        .args(args)
        .env_remove("MCPPROXY_API_KEY")
        .env_remove("MCPPROXY_LISTEN")
        .output()
        .expect("run mcpproxy");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "mcpproxy {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_activity_log_and_detections_are_flagged() {
    let proxy = start_proxy();
    let api = Api::new(&proxy.base);
    let (client, _rx) = connect(&proxy.all_url()).await;
    wait_for_direct_tool(&client, "ev__get-env").await;

    // The client gets every response unchanged: detection and masking only touch the record.
    let env_dump = text(&call(&client, "ev__get-env", json!({})).await);
    for secret in [
        AWS_KEY_ID,
        AWS_SECRET,
        GITHUB_TOKEN,
        DB_PASSWORD,
        STRIPE_KEY,
    ] {
        assert!(
            env_dump.contains(secret),
            "get-env lost {secret}: {env_dump}"
        );
    }
    let message = format!("key {KEY} anthropic {ANTHROPIC_KEY} card {CARD} token {CUT_SECRET}");
    let echoed = text(&call(&client, "ev__echo", json!({"message": message})).await);
    assert_eq!(echoed, format!("Echo: {message}"));
    client.cancel().await.unwrap();

    let records = call_records(&api, 2).await;
    let listed = api.get("/activity?server=ev").await;
    assert_no_secret("GET /api/v1/activity", &listed.text);
    let by_tool = |tool: &str, needle: &str| {
        records
            .iter()
            .find(|r| {
                r["tool"] == tool
                    && r["arguments"]["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(needle)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {tool} record with {needle}: {records:?}"))
    };
    let env_record = records.iter().find(|r| r["tool"] == "get-env").unwrap();
    let short = by_tool("echo", "anthropic");

    // Masked in place, flagged with the detection types.
    let env_text = env_record["response"].as_str().unwrap();
    assert!(
        env_text.contains("\"AWS_SECRET_ACCESS_KEY\": \"••••T1 (40 chars)\""),
        "{env_text}"
    );
    let types = |r: &Value| -> Vec<String> {
        r["sensitive_data"]
            .as_array()
            .unwrap_or_else(|| panic!("no sensitive_data: {r}"))
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    for expected in [
        "known_secret",
        "aws_access_key",
        "aws_secret_key",
        "github_pat",
        "stripe_key",
    ] {
        assert!(
            types(env_record).contains(&expected.to_string()),
            "{expected}: {env_record}"
        );
    }
    for expected in ["known_secret", "anthropic_key", "credit_card"] {
        assert!(
            types(&short).contains(&expected.to_string()),
            "{expected}: {short}"
        );
    }

    // Filterable in REST: by presence and by detection type (both spellings).
    let total = |path: &str| {
        let api = api.clone();
        let path = path.to_string();
        async move { api.get(&path).await.data()["total"].as_u64().unwrap() }
    };
    assert_eq!(total("/activity?server=ev&sensitive_data=true").await, 2);
    assert_eq!(total("/activity?server=ev&sensitive=true").await, 2);
    assert_eq!(total("/activity?server=ev&sensitive_data=false").await, 0);
    assert_eq!(
        total("/activity?server=ev&detection_type=stripe_key").await,
        1
    );
    assert_eq!(total("/activity?server=ev&detection=credit_card").await, 1);
    assert_eq!(
        total("/activity?server=ev&detection_type=no_such_type").await,
        0
    );
    let one = api.get(&format!("/activity/{}", env_record["id"])).await;
    assert_no_secret("GET /api/v1/activity/{id}", &one.text);
    let export = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/activity/export?format=csv&server=ev",
            proxy.base
        ))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_no_secret("CSV export", &export);
    assert!(export.contains("aws_access_key"), "{export}");

    // The CLI: filtered list, show and export.
    let sensitive = cli(
        &proxy,
        &[
            "-o",
            "json",
            "activity",
            "list",
            "--sensitive",
            "--server",
            "ev",
        ],
    );
    let sensitive: Value = serde_json::from_str(&sensitive).unwrap();
    assert_eq!(sensitive["total"], 2, "{sensitive}");
    let cards = cli(
        &proxy,
        &[
            "-o",
            "json",
            "activity",
            "list",
            "--detection-type",
            "credit_card",
        ],
    );
    let cards: Value = serde_json::from_str(&cards).unwrap();
    assert_eq!(cards["total"], 1, "{cards}");
    let table = cli(&proxy, &["activity", "list", "--server", "ev"]);
    assert!(
        table.contains("SENSITIVE") && table.contains("aws_access_key"),
        "{table}"
    );
    assert_no_secret("activity list", &table);
    for record in &records {
        let id = record["id"].to_string();
        assert_no_secret("activity show", &cli(&proxy, &["activity", "show", &id]));
    }
    let exported = cli(&proxy, &["activity", "export", "--server", "ev"]);
    assert_eq!(exported.lines().count(), 2, "{exported}");
    assert_no_secret("activity export", &exported);
    let file = proxy.dir.path().join("export.csv");
    let file_arg = file.to_str().unwrap();
    cli(
        &proxy,
        &["activity", "export", "--format", "csv", "--file", file_arg],
    );
    assert_no_secret(
        "activity export --file",
        &std::fs::read_to_string(&file).unwrap(),
    );

    assert_no_secret_on_disk(&proxy);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_across_the_excerpt_cut_is_masked() {
    let proxy = start_proxy();
    let api = Api::new(&proxy.base);
    let (client, _rx) = connect(&proxy.all_url()).await;
    wait_for_direct_tool(&client, "ev__echo").await;
    // "Echo: " + padding puts the configured 27-character secret at characters 1,990–2,016:
    // the 2,000-character excerpt cut falls inside it.
    let padding = "x".repeat(2000 - "Echo: ".len() - 10);
    let long = format!("{padding}{CUT_SECRET} after the cut");
    let echoed = text(&call(&client, "ev__echo", json!({"message": long})).await);
    assert_eq!(
        echoed,
        format!("Echo: {long}"),
        "the client gets it unchanged"
    );
    client.cancel().await.unwrap();

    let record = call_records(&api, 1).await.remove(0);
    let excerpt = record["response"].as_str().unwrap();
    assert!(
        !excerpt.contains(&CUT_SECRET[..4]),
        "the secret's beginning is stored: …{}",
        excerpt.chars().skip(1980).collect::<String>()
    );
    assert_eq!(excerpt.chars().count(), 2000, "{excerpt}");
    assert!(excerpt.ends_with("••••ef (27"), "{excerpt}");
    assert_eq!(record["response_size"], 6 + long.chars().count());
    assert!(record["sensitive_data"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("known_secret"))));
    assert_no_secret("the record", &record.to_string());
    assert_no_secret_on_disk(&proxy);
}

/// The newest `n` tool-call records of server `ev` (waiting for them to be written).
async fn call_records(api: &Api, n: usize) -> Vec<Value> {
    wait_for("call records", Duration::from_secs(15), || async {
        let page = api.get("/activity?type=tool_call&server=ev").await;
        let records = page.body["data"]["records"].as_array()?.clone();
        (records.len() >= n).then_some(records)
    })
    .await
}

/// Nothing secret on disk either: the database file and its write-ahead log.
fn assert_no_secret_on_disk(proxy: &Proxy) {
    let mut stored = Vec::new();
    for name in ["mcpproxy.db", "mcpproxy.db-wal"] {
        if let Ok(bytes) = std::fs::read(proxy.dir.path().join(name)) {
            stored.extend(bytes);
        }
    }
    assert!(stored.len() > 4096, "database files missing");
    for secret in all_secrets() {
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "mcpproxy.db or its WAL contains `{secret}`"
        );
    }
}
