//! Docker isolation against a real dockerd: the fixture MCP server runs in a container made
//! with `docker import` from a small rootfs (the fixture binary, its shared libraries and
//! static busybox), since no registry is reachable.
//!
//! Without a daemon these tests start one via scripts/dockerd.sh; if that is impossible they
//! are skipped with a loud message, except under CI=true where they fail.

mod common;

use common::*;
use mcpproxy::config::{Config, ServerConfig};
use mcpproxy::core::Core;
use mcpproxy::docker::PullPhase;
use mcpproxy::events::CoreEvent;
use mcpproxy::upstream::ConnectionState;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

// ---------------------------------------------------------------------------
// Docker test environment
// ---------------------------------------------------------------------------

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"))
}

/// Run docker and return trimmed stdout; panics with stderr on failure.
fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn daemon_answers() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// True when a daemon answers (starting one if possible). Under CI=true, panics instead of
/// returning false.
fn docker_available() -> bool {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        if daemon_answers() {
            return Ok(());
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/dockerd.sh");
        let out = Command::new("bash").arg(&script).output();
        if daemon_answers() {
            return Ok(());
        }
        Err(match out {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        })
    });
    match ready {
        Ok(()) => true,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but no Docker daemon is available: {why}")
        }
        Err(why) => {
            eprintln!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !!! SKIPPING Docker isolation test: no Docker daemon could be started.\n\
                 !!! {why}\n\
                 !!! Run scripts/dockerd.sh as root (or start Docker) to run these tests.\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            );
            false
        }
    }
}

macro_rules! require_docker {
    () => {
        if !docker_available() {
            return;
        }
    };
}

/// Copy `src` to `root/dest` and every shared library it loads (per ldd) to the same path.
fn add_binary(root: &Path, src: &Path, dest: &str) {
    let target = root.join(dest.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(src, &target).unwrap();
    let ldd = Command::new("ldd").arg(src).output().expect("ldd");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        let Some(path) = path.filter(|p| p.starts_with('/')) else {
            continue;
        };
        let lib_target = root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(lib_target.parent().unwrap()).unwrap();
        std::fs::copy(path, &lib_target).unwrap_or_else(|e| panic!("copy {path}: {e}"));
    }
}

/// The fixture image (built once per fixture binary): `/usr/local/bin/fixture_server`,
/// `/bin/busybox` and the libraries they need.
fn fixture_image() -> String {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            let bin = fixture_bin();
            let meta = std::fs::metadata(&bin).unwrap();
            let stamp = meta
                .modified()
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let tag = format!("mcpproxy-test-fixture:{:x}-{:x}", meta.len(), stamp);
            if docker(&["image", "inspect", &tag]).status.success() {
                return tag;
            }
            let root = tempfile::tempdir().unwrap();
            add_binary(root.path(), &bin, "/usr/local/bin/fixture_server");
            let busybox = ["/bin/busybox", "/usr/bin/busybox"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
                .expect("busybox missing: apt-get install busybox-static");
            add_binary(root.path(), &busybox, "/bin/busybox");
            std::fs::create_dir_all(root.path().join("tmp")).unwrap();
            let status = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "tar -C '{}' -cf - . | docker import - '{tag}' >/dev/null",
                    root.path().display()
                ))
                .status()
                .unwrap();
            assert!(
                status.success(),
                "docker import of the fixture rootfs failed"
            );
            // Images of earlier fixture builds are no longer needed.
            let old = docker_ok(&[
                "images",
                "mcpproxy-test-fixture",
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ]);
            for image in old.lines().filter(|i| *i != tag) {
                let _ = docker(&["rmi", image]);
            }
            tag
        })
        .clone()
}

/// Ids of every container (running or not) labelled with `instance`.
fn containers_of(instance: &str) -> Vec<String> {
    let out = docker_ok(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label=mcpproxy.instance={instance}"),
    ]);
    out.lines().map(str::to_string).collect()
}

fn inspect(id: &str) -> Value {
    let text = docker_ok(&["inspect", id]);
    let list: Value = serde_json::from_str(&text).unwrap();
    list[0].clone()
}

fn exists(id: &str) -> bool {
    docker(&["inspect", id]).status.success()
}

fn remove(id: &str) {
    let _ = docker(&["rm", "-f", id]);
}

/// An isolated fixture server definition.
fn isolated(name: &str, isolation: Value) -> Value {
    let mut iso = json!({ "image": fixture_image() });
    if let Value::Object(map) = isolation {
        for (k, v) in map {
            iso[k] = v;
        }
    }
    json!({
        "name": name,
        "protocol": "stdio",
        "command": "/usr/local/bin/fixture_server",
        "args": ["stdio", "--name", name],
        "quarantined": false,
        "isolation": iso,
    })
}

fn docker_settings(extra: Value) -> Value {
    let mut settings = json!({ "enabled": true });
    if let Value::Object(map) = extra {
        for (k, v) in map {
            settings[k] = v;
        }
    }
    json!({ "docker_isolation": settings })
}

/// `mcpproxy serve` with Docker isolation on and no servers, on data directory `dir` (whose
/// instance id names the containers its start-up sweep removes).
fn start_without_servers(dir: tempfile::TempDir) -> Proxy {
    let config_path = dir.path().join("mcp_config.json");
    let mut config = docker_settings(json!({}));
    config["listen"] = json!("127.0.0.1:0");
    config["mcpServers"] = json!([]);
    std::fs::write(&config_path, config.to_string()).unwrap();
    Proxy::start_with_config(dir, config_path)
}

async fn servers(client: &Client) -> Value {
    json_of(&call(client, "upstream_servers", json!({"operation": "list"})).await)
}

fn server<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("server {name} not listed: {list}"))
}

fn log_text(data_dir: &Path, server: &str) -> String {
    std::fs::read_to_string(data_dir.join(format!("logs/server-{server}.log"))).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Tests through the `mcpproxy` binary
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn isolated_server_serves_tools_with_limits_network_none_and_no_leftovers() {
    require_docker!();
    let secret = "tok-5f3a9c1e7b2d-secret";
    let mut def = isolated(
        "iso",
        json!({"network_mode": "none", "working_dir": "/tmp"}),
    );
    def["env"] = json!({ "FIXTURE_TOKEN": secret, "PLAIN": "visible" });
    let mut proxy = Proxy::start(
        json!([def]),
        docker_settings(
            json!({"memory_limit": "128m", "cpu_limit": "0.5", "network_mode": "bridge"}),
        ),
    );
    let instance = mcpproxy::docker::instance_id(proxy.dir.path());
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "iso:echo").await;

    // Tools listed and called through the container.
    let (all, _rx2) = connect(&proxy.all_url()).await;
    let tools = all.peer().list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "iso__echo"), "{tools:?}");
    let echoed = call(&all, "iso__echo", json!({"message": "from the container"})).await;
    assert_eq!(text(&echoed), "from the container");
    let env = call(&all, "iso__get_env", json!({"name": "FIXTURE_TOKEN"})).await;
    assert_eq!(text(&env), secret, "env is passed into the container");
    let cwd = call(&all, "iso__get_cwd", json!({})).await;
    assert_eq!(
        text(&cwd),
        "/tmp",
        "isolation.working_dir is the container cwd"
    );

    // Status surfaces: isolation info per server and the daemon status.
    let list = servers(&client).await;
    let s = server(&list, "iso");
    assert_eq!(s["status"], "ready");
    assert_eq!(s["isolation"]["enabled"], true);
    assert_eq!(s["isolation"]["image"], fixture_image());
    assert_eq!(s["isolation"]["network_mode"], "none");
    assert_eq!(s["isolation"]["memory_limit"], "128m");
    assert_eq!(s["isolation"]["container_state"], "running");
    let id = s["isolation"]["container_id"].as_str().unwrap().to_string();
    assert_eq!(list["docker_status"]["available"], true, "{list}");
    assert_eq!(list["docker_status"]["instance_id"], instance.as_str());
    assert!(
        list["docker_status"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str() && c["server"] == "iso"),
        "{list}"
    );
    assert!(!list.to_string().contains(secret), "secret leaked: {list}");

    // Limits, network, init and labels as the daemon sees them.
    assert_eq!(containers_of(&instance), vec![id.clone()]);
    let info = inspect(&id);
    assert_eq!(info["HostConfig"]["Memory"], 128 * 1024 * 1024);
    assert_eq!(info["HostConfig"]["NanoCpus"], 500_000_000);
    assert_eq!(info["HostConfig"]["NetworkMode"], "none");
    assert_eq!(info["HostConfig"]["Init"], true);
    assert_eq!(info["Config"]["Labels"]["mcpproxy.server"], "iso");
    assert_eq!(info["Config"]["Labels"]["mcpproxy.managed"], "true");
    assert_eq!(info["State"]["Running"], true);
    let netdev = docker_ok(&["exec", &id, "/bin/busybox", "cat", "/proc/net/dev"]);
    assert!(netdev.contains("lo:"), "{netdev}");
    assert!(
        !netdev
            .lines()
            .skip(2)
            .any(|l| !l.trim_start().starts_with("lo:")),
        "network mode none must leave only loopback: {netdev}"
    );

    // stderr of the containerised server lands in its log; the secret does not.
    let log = log_text(proxy.dir.path(), "iso");
    assert!(
        log.contains("[stderr] fixture_server iso starting"),
        "{log}"
    );
    assert!(log.contains("starting container mcpproxy-iso-"), "{log}");
    assert!(!log.contains(secret), "secret in the server log: {log}");

    client.cancel().await.unwrap();
    all.cancel().await.unwrap();
    let status = proxy.terminate();
    assert!(status.success(), "graceful exit expected, got {status:?}");
    assert!(
        containers_of(&instance).is_empty(),
        "shutdown must remove the container"
    );
    assert!(!exists(&id));
}

/// `kill -9` of the core gives it no chance to remove its containers: the attach stream
/// closes, so the server reads EOF on stdin and its container stops at once; the next start
/// on the same data directory removes it.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_of_the_core_stops_the_container_and_the_next_start_removes_it() {
    require_docker!();
    let mut proxy = Proxy::start(
        json!([isolated("gone", json!({}))]),
        docker_settings(json!({})),
    );
    let instance = mcpproxy::docker::instance_id(proxy.dir.path());
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    wait_for_tool(&client, "echo", "gone:echo").await;
    client.cancel().await.unwrap();
    let ids = containers_of(&instance);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids[0].clone();

    let mut child = proxy.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL: no clean-up by the core
    child.wait().unwrap();
    wait_for(
        "the orphaned container to stop",
        Duration::from_secs(15),
        || async { (inspect(&id)["State"]["Running"] == false).then_some(()) },
    )
    .await;
    assert!(exists(&id), "nobody removed it yet");

    // Same data directory (same instance id), no servers: the start-up sweep removes it.
    let dir = std::mem::replace(&mut proxy.dir, tempfile::tempdir().unwrap());
    let restarted = start_without_servers(dir);
    wait_for(
        "the next start to remove the container",
        Duration::from_secs(30),
        || async { (!exists(&id)).then_some(()) },
    )
    .await;
    drop(restarted);
}

#[tokio::test(flavor = "multi_thread")]
async fn startup_sweep_removes_stale_containers_of_this_instance_only() {
    require_docker!();
    let dir = tempfile::tempdir().unwrap();
    let instance = mcpproxy::docker::instance_id(dir.path());
    let image = fixture_image();
    let stale = docker_ok(&[
        "run",
        "-d",
        "--label",
        "mcpproxy.managed=true",
        "--label",
        &format!("mcpproxy.instance={instance}"),
        "--label",
        "mcpproxy.server=ghost",
        &image,
        "/bin/busybox",
        "sleep",
        "600",
    ]);
    let foreign = docker_ok(&[
        "create",
        "--label",
        "mcpproxy.managed=true",
        "--label",
        "mcpproxy.instance=someone-else",
        &image,
        "/bin/busybox",
        "true",
    ]);
    assert!(exists(&stale) && exists(&foreign));

    let proxy = start_without_servers(dir);
    wait_for(
        "the stale container to be swept",
        Duration::from_secs(30),
        || async { (!exists(&stale)).then_some(()) },
    )
    .await;
    assert!(
        exists(&foreign),
        "another instance's container must survive"
    );
    remove(&foreign);
    drop(proxy);
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_down_is_a_clear_error_and_nothing_runs_on_the_host() {
    require_docker!();
    let sockets = tempfile::tempdir().unwrap();
    let host = format!("unix://{}/no-docker.sock", sockets.path().display());
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("mcp_config.json");
    let mut config = docker_settings(json!({}));
    config["listen"] = json!("127.0.0.1:0");
    config["mcpServers"] = json!([isolated("down", json!({}))]);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let proxy = Proxy::start_with_config_env(dir, config_path, &[("DOCKER_HOST", host.as_str())]);
    let (client, _rx) = connect(&proxy.mcp_url()).await;
    let list = wait_for(
        "the server to report the error",
        Duration::from_secs(20),
        || async {
            let list = servers(&client).await;
            (server(&list, "down")["status"] == "error").then_some(list)
        },
    )
    .await;
    let s = server(&list, "down");
    let error = s["last_error"].as_str().unwrap();
    assert!(error.contains("Docker daemon not reachable at"), "{error}");
    assert!(error.contains(&host), "{error}");
    assert!(
        error.contains("\"isolation\": {\"enabled\": false}"),
        "{error}"
    );
    assert_eq!(s["isolation"]["container_state"], "docker_unavailable");
    assert_eq!(s["tool_count"], 0);
    assert_eq!(list["docker_status"]["available"], false);
    assert!(list["docker_status"]["error"]
        .as_str()
        .unwrap()
        .contains("not reachable"));
    let log = log_text(proxy.dir.path(), "down");
    assert!(
        !log.contains("[stderr] fixture_server"),
        "the server must not run unisolated: {log}"
    );
    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------
// In-process tests (restart through the upstream manager, pull events)
// ---------------------------------------------------------------------------

async fn start_core(dir: &Path, servers: Value) -> Arc<Core> {
    let mut config = docker_settings(json!({"memory_limit": "64m"}));
    config["mcpServers"] = servers;
    let config: Config = serde_json::from_value(config).unwrap();
    Core::start(config, dir.join("mcp_config.json"), dir.to_path_buf()).await
}

async fn wait_running(core: &Core, name: &str, not: Option<&str>) -> String {
    wait_for(
        &format!("{name} ready in a new container"),
        Duration::from_secs(60),
        || async {
            let status = core.upstreams.get(name)?.status();
            let id = status.isolation?.container_id?;
            (status.state == ConnectionState::Ready && Some(id.as_str()) != not).then_some(id)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_crash_and_shutdown_leave_no_container_behind() {
    require_docker!();
    let dir = tempfile::tempdir().unwrap();
    let instance = mcpproxy::docker::instance_id(dir.path());
    let def = isolated("r", json!({}));
    let core = start_core(dir.path(), json!([def.clone()])).await;
    let first = wait_running(&core, "r", None).await;
    assert_eq!(containers_of(&instance), vec![first.clone()]);
    assert_eq!(inspect(&first)["HostConfig"]["Memory"], 64 * 1024 * 1024);

    // Restart (what REST/CLI restart does): the old container is gone before the new one starts.
    let config: ServerConfig = serde_json::from_value(def).unwrap();
    core.upstreams.start(config).await;
    assert!(!exists(&first), "restart must remove the old container");
    let second = wait_running(&core, "r", Some(&first)).await;
    assert_eq!(containers_of(&instance), vec![second.clone()]);

    // The server process exits: the proxy reconnects with a fresh container, removing the old.
    let peer = core.upstreams.get("r").unwrap().peer().unwrap();
    let _ = peer
        .call_tool(
            rmcp::model::CallToolRequestParams::new("exit").with_arguments(obj(json!({"code": 3}))),
        )
        .await;
    let third = wait_running(&core, "r", Some(&second)).await;
    wait_for(
        "only the new container to remain",
        Duration::from_secs(20),
        || async { (containers_of(&instance) == vec![third.clone()]).then_some(()) },
    )
    .await;

    core.shutdown().await;
    assert!(
        containers_of(&instance).is_empty(),
        "shutdown must remove every container"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_pull_is_explained_in_status_log_and_events() {
    require_docker!();
    let dir = tempfile::tempdir().unwrap();
    let image = "127.0.0.1:9/mcpproxy-missing/fixture:1";
    let mut def = isolated("pull", json!({ "image": image }));
    def["enabled"] = json!(false);
    let core = start_core(dir.path(), json!([def.clone()])).await;
    let mut events = core.events.subscribe();
    def["enabled"] = json!(true);
    core.upstreams
        .start(serde_json::from_value(def).unwrap())
        .await;
    let status = wait_for("the pull to fail", Duration::from_secs(60), || async {
        let status = core.upstreams.get("pull")?.status();
        (status.state == ConnectionState::Error).then_some(status)
    })
    .await;
    let error = status.last_error.unwrap();
    assert!(
        error.contains(&format!("cannot pull image `{image}`")),
        "{error}"
    );
    assert!(error.contains("docker pull"), "the fix is named: {error}");
    assert_eq!(
        status.isolation.unwrap().container_state.as_deref(),
        Some("error")
    );
    let mut phases = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let CoreEvent::DockerPull(pull) = event {
            assert_eq!(pull.server, "pull");
            assert_eq!(pull.image, image);
            if pull.phase == PullPhase::Failed {
                assert!(pull.error.unwrap().contains("cannot pull image"));
            }
            phases.push(pull.phase);
        }
    }
    assert_eq!(phases.first(), Some(&PullPhase::Started), "{phases:?}");
    assert!(phases.contains(&PullPhase::Failed), "{phases:?}");
    let log = log_text(dir.path(), "pull");
    assert!(
        log.contains(&format!("image {image} is not present locally; pulling it")),
        "{log}"
    );
    assert!(log.contains("cannot pull image"), "{log}");
    core.shutdown().await;
}

/// A `docker-registry` (distribution) on a loopback port; killed on drop.
struct Registry {
    child: std::process::Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// None (with a loud message) when the registry binary is missing outside CI.
    async fn start() -> Option<Self> {
        let Ok(bin) = which("docker-registry") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but docker-registry is not installed"
            );
            eprintln!("!!! SKIPPING registry pull test: apt-get install docker-registry");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let url = format!("http://{addr}/v2/");
        wait_for(
            "the registry to answer",
            Duration::from_secs(20),
            || async {
                reqwest::get(&url)
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            },
        )
        .await;
        Some(Self {
            child,
            addr,
            _dir: dir,
        })
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_image_is_pulled_from_a_registry_with_progress() {
    require_docker!();
    let Some(registry) = Registry::start().await else {
        return;
    };
    let image = format!("{}/mcpproxy/fixture:1", registry.addr);
    docker_ok(&["tag", &fixture_image(), &image]);
    docker_ok(&["push", &image]);
    docker_ok(&["rmi", &image]);
    assert!(!exists(&image), "the pushed tag must be gone locally");

    let dir = tempfile::tempdir().unwrap();
    let mut def = isolated("pulled", json!({ "image": image }));
    def["enabled"] = json!(false);
    let core = start_core(dir.path(), json!([def.clone()])).await;
    let mut events = core.events.subscribe();
    def["enabled"] = json!(true);
    core.upstreams
        .start(serde_json::from_value(def).unwrap())
        .await;
    wait_running(&core, "pulled", None).await;
    assert!(exists(&image), "the image was pulled");

    let mut phases = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let CoreEvent::DockerPull(pull) = event {
            assert_eq!(pull.image, image);
            phases.push(pull.phase);
        }
    }
    assert_eq!(phases.first(), Some(&PullPhase::Started), "{phases:?}");
    assert!(phases.contains(&PullPhase::Progress), "{phases:?}");
    assert_eq!(phases.last(), Some(&PullPhase::Done), "{phases:?}");
    let log = log_text(dir.path(), "pulled");
    assert!(log.contains(&format!("pull {image}: ")), "{log}");
    assert!(log.contains(&format!("pulled image {image}")), "{log}");
    core.shutdown().await;
    let _ = docker(&["rmi", &image]);
}

/// The container of an isolated server gets its configured `env` and nothing of the core's
/// environment (issue 16 item 3: the core's secrets never reach an upstream).
#[tokio::test(flavor = "multi_thread")]
async fn isolated_server_gets_only_its_configured_env() {
    require_docker!();
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("mcp_config.json");
    let mut def = isolated("isoenv", json!({"network_mode": "none"}));
    def["env"] = json!({"CONFIGURED": "yes-configured"});
    let mut config = docker_settings(json!({}));
    config["listen"] = json!("127.0.0.1:0");
    config["mcpServers"] = json!([def]);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let proxy = Proxy::start_with_config_env(
        dir,
        config_path,
        &[
            ("AWS_SECRET_ACCESS_KEY", "aws-core-secret-in-docker-test"),
            ("GITHUB_TOKEN", "ghp_core_token_in_docker_test"),
            ("MCPPROXY_E2E_CORE_ONLY", "core-only"),
        ],
    );
    let (all, _rx) = connect(&proxy.all_url()).await;
    wait_for("isoenv tools", Duration::from_secs(120), || async {
        let tools = all.peer().list_all_tools().await.ok()?;
        tools
            .iter()
            .any(|t| t.name == "isoenv__get_env")
            .then_some(())
    })
    .await;
    let env_of = |name: &'static str| {
        let all = &all;
        async move { text(&call(all, "isoenv__get_env", json!({"name": name})).await) }
    };
    assert_eq!(env_of("CONFIGURED").await, "yes-configured");
    for leaked in [
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "MCPPROXY_E2E_CORE_ONLY",
    ] {
        assert_eq!(
            env_of(leaked).await,
            "<unset>",
            "{leaked} reached the container"
        );
    }
    all.cancel().await.unwrap();
}
