//! Reliability: process hygiene and upstream faults (issue "Reliability and security suite").

mod common;

use common::*;
use mcpproxy::config::{self, Config, ServerConfig};
use mcpproxy::core::{Core, CoreOptions};
use mcpproxy::upstream::ConnectionState;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn grandchild_server(name: &str, pidfile: &Path) -> serde_json::Value {
    let mut server = fixture_stdio(name);
    server["args"] = json!(["stdio", "--name", name, "--spawn-grandchild", pidfile]);
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_of_the_core_takes_every_upstream_process_down_within_2s() {
    let pid_dir = tempfile::tempdir().unwrap();
    let servers: Vec<_> = (0..3)
        .map(|i| grandchild_server(&format!("k{i}"), &pid_dir.path().join(format!("k{i}.pids"))))
        .collect();
    let mut proxy = Proxy::start(json!(servers), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    for i in 0..3 {
        wait_for_tool(&client, "echo", &format!("k{i}:echo")).await;
    }
    client.cancel().await.unwrap();
    let pids = wait_for("pid files", Duration::from_secs(10), || async {
        let all: Vec<Vec<i32>> = (0..3)
            .map(|i| read_pids(&pid_dir.path().join(format!("k{i}.pids"))))
            .collect();
        all.iter().all(|p| p.len() >= 3).then(|| all.concat())
    })
    .await;
    assert!(pids.iter().all(|&p| alive(p)));

    let mut child = proxy.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let killed_at = Instant::now();
    let deadline = killed_at + Duration::from_secs(2);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "still running {:?} after the core was SIGKILLed: {survivors:?}",
        killed_at.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hundred_restarts_leave_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("cycles.pids");
    let mut server: ServerConfig =
        serde_json::from_value(grandchild_server("cycler", &pidfile)).unwrap();
    server.quarantined = Some(false);
    let mut cfg = Config::default();
    cfg.mcp_servers.push(server);
    let config_path = dir.path().join(config::CONFIG_FILE_NAME);
    config::save_atomic(&config_path, &cfg).unwrap();
    let core = Core::start_with(
        cfg,
        config_path,
        dir.path().to_path_buf(),
        CoreOptions::default(),
    )
    .await;
    let ready = |core: &Core| {
        core.upstreams
            .get("cycler")
            .map(|u| u.status().state == ConnectionState::Ready)
            .unwrap_or(false)
    };
    for cycle in 0..100 {
        wait_for(
            &format!("cycle {cycle} ready"),
            Duration::from_secs(30),
            || async { ready(&core).then_some(()) },
        )
        .await;
        // Wait until this instance wrote its three pids, then restart it.
        let expected = (cycle + 1) * 3;
        wait_for("pids of this cycle", Duration::from_secs(10), || async {
            (read_pids(&pidfile).len() >= expected).then_some(())
        })
        .await;
        assert!(core.restart_server("cycler").await);
    }
    wait_for("last instance ready", Duration::from_secs(30), || async {
        ready(&core).then_some(())
    })
    .await;
    core.shutdown().await;
    let pids = read_pids(&pidfile);
    assert!(pids.len() >= 300, "only {} pids recorded", pids.len());
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "processes left after 100 restarts: {survivors:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_on_stdout_does_not_break_the_proxy() {
    // Non-JSON lines before the real MCP stream: the connection must survive them,
    // and a healthy neighbour must be unaffected.
    let noisy = json!({
        "name": "noisy",
        "protocol": "stdio",
        "command": "sh",
        "args": ["-c", format!("echo 'this is not json'; echo '{{broken'; exec {} stdio --name noisy", fixture_bin().display())],
    });
    let proxy = Proxy::start(json!([noisy, fixture_stdio("calm")]), json!({}));
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "calm:echo").await;
    let listed = wait_for("noisy to settle", Duration::from_secs(60), || async {
        let listed =
            json_of(&call(&client, "upstream_servers", json!({"operation": "list"})).await);
        let noisy = listed["servers"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == "noisy")?
            .clone();
        (noisy["status"] == "ready" || noisy["status"] == "error").then_some(noisy)
    })
    .await;
    if listed["status"] == "ready" {
        // The catalog is rebuilt asynchronously after the status change.
        wait_for_tool(&client, "echo", "noisy:echo").await;
        let echoed = call(
            &client,
            "call_tool_read",
            json!({"name": "noisy:echo", "args": {"message": "ok"}}),
        )
        .await;
        assert_eq!(text(&echoed), "ok");
    } else {
        assert!(
            !listed["last_error"].as_str().unwrap_or("").is_empty(),
            "{listed}"
        );
    }
    let calm = call(
        &client,
        "call_tool_read",
        json!({"name": "calm:echo", "args": {"message": "fine"}}),
    )
    .await;
    assert_eq!(text(&calm), "fine");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_upstream_beyond_call_tool_timeout_is_cancelled_and_explained() {
    let proxy = Proxy::start(
        json!([fixture_stdio("slow")]),
        json!({"call_tool_timeout": "1s"}),
    );
    let (client, _rx) = connect(&proxy.all_url()).await;
    wait_for("slow tools", Duration::from_secs(60), || async {
        let tools = client.peer().list_all_tools().await.ok()?;
        tools.iter().any(|t| t.name == "slow__sleep").then_some(())
    })
    .await;
    let result = call(&client, "slow__sleep", json!({"ms": 20000})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("did not answer within 1s"),
        "{}",
        text(&result)
    );
    // The upstream was told to stop working on it.
    proxy.wait_for_server_log("slow", "sleep cancelled").await;
    let echoed = call(&client, "slow__echo", json!({"message": "still here"})).await;
    assert_eq!(text(&echoed), "still here");
    client.cancel().await.unwrap();
}
