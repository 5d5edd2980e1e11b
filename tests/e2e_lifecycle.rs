//! Process lifecycle of `mcpproxy serve`: default config creation, config errors,
//! immediate `initialize`, and a clean shutdown that leaves no upstream process behind.

mod common;

use common::*;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_every_upstream_process_group() {
    let pid_dir = tempfile::tempdir().unwrap();
    let servers: Vec<_> = (0..3)
        .map(|i| {
            let mut server = fixture_stdio(&format!("g{i}"));
            let pidfile = pid_dir.path().join(format!("g{i}.pids"));
            server["args"] = json!([
                "stdio",
                "--name",
                format!("g{i}"),
                "--spawn-grandchild",
                pidfile
            ]);
            server
        })
        .collect();
    let mut proxy = Proxy::start(json!(servers), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    for i in 0..3 {
        wait_for_tool(&client, "echo", &format!("g{i}:echo")).await;
    }
    client.cancel().await.unwrap();
    // Each file: fixture pid, its child shell, and the shell's background sleep.
    let pids = wait_for(
        "all pid files to be complete",
        Duration::from_secs(10),
        || async {
            let pids: Vec<Vec<i32>> = (0..3)
                .map(|i| read_pids(&pid_dir.path().join(format!("g{i}.pids"))))
                .collect();
            pids.iter().all(|p| p.len() >= 3).then(|| pids.concat())
        },
    )
    .await;
    assert!(
        pids.iter().all(|&p| alive(p)),
        "all upstream processes run before shutdown"
    );

    let status = proxy.terminate();
    assert!(status.success(), "graceful exit expected, got {status:?}");
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "processes left after shutdown: {survivors:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn initialize_is_answered_while_an_upstream_hangs() {
    // `sleep` never answers initialize: the endpoint must still answer at once,
    // and the healthy upstream must come up regardless.
    let hang = json!({"name": "hang", "protocol": "stdio", "command": "sleep", "args": ["1000"]});
    let proxy = Proxy::start(json!([hang, fixture_stdio("fx")]), json!({}));
    let started = std::time::Instant::now();
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    wait_for_tool(&client, "echo", "fx:echo").await;
    let listed = json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
    let hang = listed["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "hang")
        .unwrap()
        .clone();
    assert_eq!(hang["status"], "connecting", "{hang}");
    client.cancel().await.unwrap();
}

#[test]
fn serve_without_config_creates_a_default_one() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(proxy_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HOME", home.path())
        .env_remove("MCPPROXY_CONFIG")
        .env_remove("MCPPROXY_DATA_DIR")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.starts_with("mcpproxy listening on http://127.0.0.1:"),
        "{line}"
    );
    let data = home.path().join(".mcpproxy");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("mcp_config.json")).unwrap())
            .unwrap();
    assert_eq!(config["listen"], "127.0.0.1:8080");
    assert_eq!(config["api_key"].as_str().unwrap().len(), 64);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn invalid_config_exits_nonzero_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcp_config.json");
    let cases = [
        ("{\n  \"listen\": \"127.0.0.1:0\",\n  \"mcpServers\": [\n    {\"name\": \"x\" \"command\": \"y\"}\n  ]\n}", "line 4"),
        (r#"{"mcpServers": [{"name": "a", "protocol": "stdio"}]}"#, "mcpServers[0].command"),
        (r#"{"mcpServers": [{"name": "a", "command": "x", "enabled": "yes"}]}"#, "mcpServers[0].enabled"),
    ];
    for (text, expected) in cases {
        std::fs::write(&path, text).unwrap();
        let output = Command::new(proxy_bin())
            .args(["serve", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(stderr.contains("Fix:"), "{stderr}");
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "config must be left untouched"
        );
    }
}

#[test]
fn port_in_use_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(proxy_bin())
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", &addr])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&addr) && stderr.contains("--listen"),
        "{stderr}"
    );
}

/// A stop while an upstream is still in its `initialize` handshake must end that server's
/// whole process tree too (the cancelled connect may not just drop the child).
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_the_initialize_handshake_leaves_no_process() {
    let pid_dir = tempfile::tempdir().unwrap();
    let pidfile = pid_dir.path().join("mute.pids");
    // Never answers `initialize`: records its own pid and a background child's, then waits.
    let script = format!(
        "echo $$ >> '{0}'; sleep 1000 & echo $! >> '{0}'; wait",
        pidfile.display()
    );
    let mute =
        json!({"name": "mute", "protocol": "stdio", "command": "sh", "args": ["-c", script]});
    let mut proxy = Proxy::start(json!([mute]), json!({}));
    let pids = wait_for(
        "the mute server's pids",
        Duration::from_secs(10),
        || async {
            let pids = read_pids(&pidfile);
            (pids.len() >= 2).then_some(pids)
        },
    )
    .await;
    assert!(
        pids.iter().all(|&p| alive(p)),
        "the server tree runs: {pids:?}"
    );

    let status = proxy.terminate();
    assert!(status.success(), "graceful exit expected, got {status:?}");
    wait_for("the server tree to end", Duration::from_secs(5), || async {
        pids.iter().all(|&p| !alive(p)).then_some(())
    })
    .await;
}
