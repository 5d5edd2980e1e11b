//! End-to-end: the `mcpproxy` management CLI against a live core (it reads `listen` and
//! `api_key` from the same config file).

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli(config: &std::path::Path, args: &[&str]) -> Out {
    cli_env(config, args, &[])
}

fn cli_env(config: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut command = Command::new(proxy_bin());
    command
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("MCPPROXY_API_KEY")
        .env_remove("MCPPROXY_LISTEN");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run mcpproxy");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(out: Out) -> String {
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout
}

fn json_out(out: Out) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn cli_manages_servers_and_tools_of_a_live_core() {
    let fixture = HttpFixture::start("cl");
    let port = free_port();
    let mut proxy = Proxy::start(json!([]), json!({"listen": format!("127.0.0.1:{port}")}));
    let cfg = proxy.config_path.clone();
    let secret = "Bearer cli-secret-abcdef";
    let masked = mcpproxy::secrets::mask_value(secret);

    // add (URL form), quarantine opt-out, secrets masked in the output.
    let added = ok(cli(
        &cfg,
        &[
            "upstream",
            "add",
            "cl",
            &fixture.url,
            "--protocol",
            "http",
            "--header",
            &format!("Authorization: {secret}"),
            "--no-quarantine",
        ],
    ));
    assert!(added.contains("added server cl"), "{added}");
    assert!(added.contains(&masked), "{added}");
    assert!(!added.contains("cli-secret"), "{added}");
    // add (command form) defaults to quarantine and says so.
    let held = ok(cli(
        &cfg,
        &[
            "upstream",
            "add",
            "held",
            "--",
            fixture_bin().to_str().unwrap(),
            "stdio",
        ],
    ));
    assert!(held.contains("quarantined"), "{held}");
    let both = cli(
        &cfg,
        &[
            "upstream",
            "add",
            "x",
            "http://127.0.0.1:1/mcp",
            "--",
            "cmd",
        ],
    );
    assert_eq!(both.code, 2, "{}", both.stderr);

    // list (json and table) once the server is up.
    wait_for("cl to be ready via the CLI", WAIT, || async {
        let listed = json_out(cli(&cfg, &["-o", "json", "upstream", "list"]));
        let cl = listed["servers"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == "cl")?
            .clone();
        (cl["status"] == "ready").then_some(())
    })
    .await;
    let table = ok(cli(&cfg, &["upstream", "list"]));
    assert!(table.starts_with("NAME"), "{table}");
    let row = table.lines().find(|l| l.starts_with("cl ")).unwrap();
    assert!(row.contains("ready") && row.contains("http"), "{table}");
    assert!(table
        .lines()
        .any(|l| l.starts_with("held") && l.contains("quarantined")));

    // patch: several changes in one round-trip; conflicting flags refused locally.
    let patched = json_out(cli(
        &cfg,
        &[
            "-o",
            "json",
            "upstream",
            "patch",
            "cl",
            "--header",
            "X-One: 1",
            "--header",
            "X-Two: two words",
            "--header-remove",
            "Authorization",
            "--env",
            "A=1=2",
            "--env-remove",
            "B",
        ],
    ));
    assert_eq!(
        patched["headers"],
        json!({"X-One": "1", "X-Two": "two words"})
    );
    assert_eq!(patched["env"], json!({"A": "1=2"}));
    let conflict = cli(
        &cfg,
        &[
            "upstream",
            "patch",
            "cl",
            "--header",
            "X-One: 1",
            "--header-remove",
            "x-one",
        ],
    );
    assert_eq!(conflict.code, 2);
    assert!(conflict.stderr.contains("both set"), "{}", conflict.stderr);
    let nothing = cli(&cfg, &["upstream", "patch", "cl"]);
    assert_eq!(nothing.code, 2);

    // tools search / list / call.
    let found = wait_for("cl:echo to be searchable", WAIT, || async {
        let found = json_out(cli(
            &cfg,
            &[
                "-o",
                "json",
                "tools",
                "search",
                "echo message",
                "--limit",
                "3",
            ],
        ));
        (found["tools"][0]["name"] == "cl:echo").then_some(found)
    })
    .await;
    assert!(found["tools"].as_array().unwrap().len() <= 3);
    let listed = ok(cli(&cfg, &["tools", "list", "--server", "cl"]));
    assert!(listed.lines().any(|l| l.starts_with("cl:echo")), "{listed}");
    let echoed = wait_for("cl:echo to answer", WAIT, || async {
        let out = cli(
            &cfg,
            &[
                "tools",
                "call",
                "cl:echo",
                "--args",
                r#"{"message":"hi cli"}"#,
            ],
        );
        (out.code == 0).then_some(out.stdout)
    })
    .await;
    assert_eq!(echoed.trim(), "hi cli");
    let failed = cli(
        &cfg,
        &[
            "tools",
            "call",
            "cl:fail",
            "--args",
            r#"{"message":"boom"}"#,
        ],
    );
    assert_eq!(failed.code, 1);
    assert!(failed.stderr.contains("boom"), "{}", failed.stderr);
    let bad_args = cli(&cfg, &["tools", "call", "cl:echo", "--args", "{oops"]);
    assert_eq!(bad_args.code, 2);

    // logs, status, disable/enable/restart, remove.
    let logs = ok(cli(&cfg, &["upstream", "logs", "cl", "--tail", "20"]));
    assert!(logs.contains("connected via streamable-http"), "{logs}");
    let status = ok(cli(&cfg, &["status"]));
    assert!(status.contains("2 total"), "{status}");
    assert!(status.contains(&format!("127.0.0.1:{port}")), "{status}");
    let status_json = json_out(cli(&cfg, &["status", "-o", "json"]));
    assert_eq!(status_json["servers"]["quarantined"], 1);
    assert!(ok(cli(&cfg, &["upstream", "disable", "cl"])).contains("disabled server cl"));
    assert!(ok(cli(&cfg, &["upstream", "enable", "cl"])).contains("enabled server cl"));
    assert!(ok(cli(&cfg, &["upstream", "restart", "cl"])).contains("restarting server cl"));
    assert!(ok(cli(&cfg, &["upstream", "remove", "held"])).contains("removed server held"));
    let again = cli(&cfg, &["upstream", "remove", "held"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("no server named `held`"),
        "{}",
        again.stderr
    );

    // A wrong key (MCPPROXY_API_KEY wins over the file) is explained.
    let wrong = cli_env(&cfg, &["status"], &[("MCPPROXY_API_KEY", "wrong-key")]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("rejected the API key"),
        "{}",
        wrong.stderr
    );

    // No core running: say how to start it.
    proxy.terminate();
    let down = cli(&cfg, &["upstream", "list"]);
    assert_eq!(down.code, 3, "{}", down.stderr);
    assert!(down.stderr.contains("mcpproxy serve"), "{}", down.stderr);
    let no_config = cli(
        std::path::Path::new("/nonexistent/mcp_config.json"),
        &["status"],
    );
    assert_eq!(no_config.code, 2);
    assert!(
        no_config.stderr.contains("mcpproxy serve"),
        "{}",
        no_config.stderr
    );
}
