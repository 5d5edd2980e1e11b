//! The tray app's core lifecycle without a display (`mcpproxy::shell`, which
//! `mcpproxy-tray` drives): the core runs in this process, its MCP endpoint answers, the menu
//! view follows core events, a taken port is reported with a way out, and quitting stops
//! every upstream process.

mod common;

use common::{alive, fixture_bin, proxy_bin, read_pids, wait_for};
use mcpproxy::core::CoreOptions;
use mcpproxy::runner::Setup;
use mcpproxy::shell::{menu, Action, Entry, Phase, Shell, View};
use mcpproxy::upstream::state::ConnectionState;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(30);

fn write_config(dir: &Path, listen: &str, servers: Value) -> std::path::PathBuf {
    let path = dir.join("mcp_config.json");
    let config = json!({ "listen": listen, "mcpServers": servers });
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    path
}

/// A shell whose stdio servers run under the `mcpproxy` binary's shim (as in the app).
fn shell_for(config_path: &Path) -> Arc<Shell> {
    let setup = Setup::load(Some(config_path.to_path_buf()), None).expect("config loads");
    Shell::new(
        setup,
        None,
        CoreOptions {
            shim_program: Some(proxy_bin()),
        },
    )
}

/// Collect every view `follow` renders.
fn follow(shell: &Arc<Shell>) -> (mpsc::UnboundedReceiver<View>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shell = shell.clone();
    let task = tokio::spawn(async move {
        shell
            .follow(move |view| {
                let _ = tx.send(view);
            })
            .await
    });
    (rx, task)
}

/// Wait until `follow` renders a view satisfying `check`.
async fn rendered(
    views: &mut mpsc::UnboundedReceiver<View>,
    what: &str,
    check: impl Fn(&View) -> bool,
) -> View {
    tokio::time::timeout(WAIT, async {
        loop {
            let view = views.recv().await.expect("follow ended early");
            if check(&view) {
                return view;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for the tray to show {what}"))
}

fn server<'a>(view: &'a View, name: &str) -> Option<&'a mcpproxy::shell::ServerView> {
    view.servers.iter().find(|s| s.name == name)
}

fn labels(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Info(l) | Entry::Item { label: l, .. } | Entry::Submenu { label: l, .. } => {
                Some(l.clone())
            }
            Entry::Separator => None,
        })
        .collect()
}

async fn mcp_tools(addr: std::net::SocketAddr) -> Vec<String> {
    let (client, _seen) = common::connect(&format!("http://{addr}/mcp")).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let _ = client.cancel().await;
    tools.into_iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_core_serves_follows_events_and_quit_stops_every_upstream_process() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("fx.pids");
    let config_path = write_config(
        dir.path(),
        "127.0.0.1:0",
        json!([{
            "name": "fx",
            "protocol": "stdio",
            "command": fixture_bin(),
            "args": ["stdio", "--name", "fx", "--spawn-grandchild", pidfile],
            "quarantined": false,
        }]),
    );
    let shell = shell_for(&config_path);
    let (mut views, follower) = follow(&shell);
    let Phase::Running { addr } = shell.start().await else {
        panic!("expected running, got {:?}", shell.phase());
    };

    // The menu view updates from core events until the server is ready with its tools.
    // (The catalog's rebuild is a later event than the server's state change.)
    let view = rendered(&mut views, "fx ready with its tools in the catalog", |v| {
        v.tools > 0
            && server(v, "fx").is_some_and(|s| s.state == ConnectionState::Ready && s.tools > 0)
    })
    .await;
    let menu = labels(&menu::build(&view));
    assert!(
        menu.contains(&format!("MCPProxy: running on {addr}")),
        "{menu:?}"
    );
    assert!(
        menu.iter().any(|l| l.starts_with("fx (ready, ")),
        "{menu:?}"
    );

    // The MCP endpoint of the in-process core answers.
    let tools = mcp_tools(addr).await;
    assert!(tools.iter().any(|t| t == "retrieve_tools"), "{tools:?}");

    // So does its REST API, with the config's key.
    let key = shell
        .setup()
        .config
        .api_key
        .clone()
        .expect("generated api_key");
    let status: Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/status"))
        .header("X-API-Key", key)
        .send()
        .await
        .expect("GET /api/v1/status")
        .error_for_status()
        .expect("status 200")
        .json()
        .await
        .unwrap();
    assert_eq!(status["data"]["servers"]["total"], json!(1), "{status}");

    // Menu actions reach the core; the menu follows.
    let core = shell.core().expect("running core");
    assert!(Action::Disable("fx".into()).apply(&core).await.unwrap());
    rendered(&mut views, "fx disabled", |v| {
        server(v, "fx").is_some_and(|s| !s.enabled && s.state == ConnectionState::Disabled)
    })
    .await;
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    assert_eq!(on_disk["mcpServers"][0]["enabled"], json!(false));
    assert!(Action::Enable("fx".into()).apply(&core).await.unwrap());
    rendered(&mut views, "fx ready again", |v| {
        server(v, "fx").is_some_and(|s| s.enabled && s.state == ConnectionState::Ready)
    })
    .await;
    assert!(Action::Restart("fx".into()).apply(&core).await.unwrap());
    let err = Action::Restart("nope".into())
        .apply(&core)
        .await
        .unwrap_err();
    // A failed action is shown in the menu (the app sets it as the notice).
    shell.set_notice(Some(format!(
        "{} failed: {err}",
        Action::Restart("nope".into()).describe()
    )));
    let view = rendered(&mut views, "the notice", |v| v.notice.is_some()).await;
    let menu = labels(&menu::build(&view));
    assert!(
        menu.iter()
            .any(|l| l.starts_with("⚠ Restart nope failed: no server named `nope`")),
        "{menu:?}"
    );
    drop(core);

    // The fixture (re)started after Enable/Restart: its process, its shell and the shell's
    // background sleep; wait for the newest trio.
    let pids = wait_for("the fixture's process tree", WAIT, || async {
        let pids = read_pids(&pidfile);
        let live: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
        (live.len() >= 3).then_some(live)
    })
    .await;

    shell.quit().await;
    assert_eq!(shell.phase(), Phase::Stopped);
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "upstream processes survived quit: {survivors:?}"
    );
    rendered(&mut views, "stopped", |v| v.phase == Phase::Stopped).await;
    tokio::time::timeout(WAIT, follower)
        .await
        .expect("follow returns after stop")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "{addr} still accepts connections after quit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taken_port_is_reported_and_the_next_free_port_recovers() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &listen, json!([]));
    let shell = shell_for(&config_path);

    let phase = shell.start().await;
    let Phase::PortInUse {
        listen: reported,
        message,
    } = &phase
    else {
        panic!("expected PortInUse, got {phase:?}");
    };
    assert_eq!(reported, &listen);
    assert!(
        message.contains(&config_path.display().to_string()),
        "{message}"
    );
    let menu = menu::build(&shell.view());
    assert!(menu.contains(&Entry::Item {
        action: Action::Retry,
        label: "Retry".into(),
        enabled: true
    }));
    assert!(labels(&menu)
        .iter()
        .any(|l| l.starts_with("Use the next free port")));

    // Retry while still taken: same report, nothing crashes.
    assert!(matches!(shell.start().await, Phase::PortInUse { .. }));

    let Phase::Running { addr } = shell.use_next_free_port().await else {
        panic!("expected running on the next port, got {:?}", shell.phase());
    };
    assert_ne!(addr.to_string(), listen);
    assert!(addr.port() > taken.local_addr().unwrap().port());
    let tools = mcp_tools(addr).await;
    assert!(tools.iter().any(|t| t == "retrieve_tools"), "{tools:?}");
    // The chosen port is for this session only.
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    assert_eq!(on_disk["listen"], json!(listen));
    shell.quit().await;
    assert_eq!(shell.phase(), Phase::Stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_starts_once_the_port_is_free() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let shell = shell_for(&write_config(dir.path(), &listen, json!([])));
    assert!(matches!(shell.start().await, Phase::PortInUse { .. }));
    drop(taken);
    let phase = shell.start().await;
    assert_eq!(
        phase,
        Phase::Running {
            addr: listen.parse().unwrap()
        }
    );
    shell.quit().await;
}
