//! Reliability: a config directory that becomes read-only or full. The real `mcpproxy serve`
//! runs in a private mount namespace (`unshare -m`) with its config on a small tmpfs of its
//! own; the test remounts it read-only or fills it (tests run as root, which ignores
//! permission bits, so `chmod` would prove nothing). A REST change must then fail with an
//! error naming the problem and the path, leave the file byte-for-byte intact and the
//! running config unchanged, while MCP calls keep working; once the disk is writable again
//! a retry succeeds.
//!
//! Needs root (CAP_SYS_ADMIN) and util-linux `unshare`/`nsenter`; elsewhere the tests print
//! why they are skipped and pass.

mod common;
mod rest_support;

use common::*;
use rest_support::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Size of the config file system: room for the config, small enough to fill quickly.
const TMPFS_SIZE: &str = "256k";

/// How the config directory breaks.
#[derive(Clone, Copy, Debug)]
enum Fault {
    ReadOnly,
    DiskFull,
}

/// Why namespaced mounts cannot be used here, if they cannot.
fn mounts_unavailable() -> Option<String> {
    if unsafe { libc::geteuid() } != 0 {
        return Some("needs root (CAP_SYS_ADMIN) to mount a tmpfs in a private namespace".into());
    }
    let probe = tempfile::tempdir().unwrap();
    let status = Command::new("unshare")
        .args(["-m", "--propagation", "private", "mount", "-t", "tmpfs"])
        .args(["-o", "size=64k", "probe"])
        .arg(probe.path())
        .stderr(Stdio::piped())
        .output();
    match status {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`unshare -m mount -t tmpfs` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(err) => Some(format!("cannot run util-linux `unshare`: {err}")),
    }
}

/// The proxy inside its mount namespace, and how the test reaches its config directory.
struct Namespaced {
    proxy: Proxy,
    /// Mount point as the proxy sees it.
    mount: PathBuf,
}

impl Namespaced {
    /// Start `mcpproxy serve` behind `unshare -m`, with the config at `<tmpfs>/mcp_config.json`.
    fn start(config: &Value) -> Self {
        let root = tempfile::tempdir().unwrap();
        let mount = root.path().join("cfg");
        let data = root.path().join("data");
        std::fs::create_dir(&mount).unwrap();
        let seed = root.path().join("seed.json");
        std::fs::write(&seed, serde_json::to_string_pretty(config).unwrap()).unwrap();
        let config_path = mount.join("mcp_config.json");
        let script = format!(
            "mount -t tmpfs -o size={TMPFS_SIZE},mode=0700 mcpproxy-cfg \"$1\" && \
             cp \"$2\" \"$1/mcp_config.json\" && \
             exec \"$3\" serve --config \"$1/mcp_config.json\" --data-dir \"$4\""
        );
        let mut command = Command::new("unshare");
        command
            .args(["-m", "--propagation", "private", "sh", "-c", &script, "sh"])
            .arg(&mount)
            .arg(&seed)
            .arg(proxy_bin())
            .arg(&data);
        let proxy = Proxy::start_command(root, config_path, command);
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", proxy.pid())).unwrap();
        assert_eq!(comm.trim(), "mcpproxy", "the wrapper must exec the core");
        Self { proxy, mount }
    }

    /// `path` (as the proxy sees it) reached from outside the namespace.
    fn outside(&self, path: &Path) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.proxy.pid()))
            .join(path.strip_prefix("/").unwrap())
    }

    fn config_bytes(&self) -> Vec<u8> {
        std::fs::read(self.outside(&self.proxy.config_path)).unwrap()
    }

    /// Names in the config directory.
    fn dir_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.outside(&self.mount))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// Run `mount …` inside the proxy's namespace.
    fn mount(&self, args: &[&str]) {
        let status = Command::new("nsenter")
            .args(["-t", &self.proxy.pid().to_string(), "-m", "mount"])
            .args(args)
            .arg(&self.mount)
            .status()
            .expect("run nsenter");
        assert!(status.success(), "nsenter mount {args:?} failed");
    }

    fn filler(&self) -> PathBuf {
        self.outside(&self.mount.join("filler"))
    }

    /// Break the config directory; returns the OS error a fresh write now gets.
    fn break_dir(&self, fault: Fault) -> std::io::Error {
        match fault {
            Fault::ReadOnly => self.mount(&["-o", "remount,ro"]),
            Fault::DiskFull => {
                let mut file = std::fs::File::create(self.filler()).unwrap();
                let chunk = vec![0u8; 4096];
                let mut filled = false;
                for _ in 0..1024 {
                    if let Err(err) = file.write_all(&chunk) {
                        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");
                        filled = true;
                        break;
                    }
                }
                assert!(filled, "the {TMPFS_SIZE} tmpfs never filled up");
            }
        }
        let probe = self.outside(&self.mount.join("probe"));
        let err = std::fs::write(&probe, "x").expect_err("the config dir still takes writes");
        let _ = std::fs::remove_file(&probe);
        err
    }

    fn repair(&self, fault: Fault) {
        match fault {
            Fault::ReadOnly => self.mount(&["-o", "remount,rw"]),
            Fault::DiskFull => std::fs::remove_file(self.filler()).unwrap(),
        }
    }
}

/// `tool` over `client`, or None when the call fails (e.g. the tool is not listed yet).
async fn call_tool(
    client: &Client,
    tool: &str,
    args: Value,
) -> Option<rmcp::model::CallToolResult> {
    let request =
        rmcp::model::CallToolRequestParams::new(tool.to_string()).with_arguments(obj(args));
    client.peer().call_tool(request).await.ok()
}

fn config_with(server: Value) -> Value {
    json!({"listen": "127.0.0.1:0", "api_key": KEY, "mcpServers": [server]})
}

/// Assert that a REST change failed because of the disk, naming the problem and the path.
fn assert_refused(what: &str, answer: &Answer, problem: &str, config_path: &Path) {
    assert_eq!(answer.status, 500, "{what} must fail: {}", answer.text);
    let error = answer.error();
    println!("{what} refused with {}: {error}", answer.status);
    assert!(
        error.contains(problem),
        "{what}: `{error}` does not name `{problem}`"
    );
    assert!(
        error.contains(&config_path.display().to_string()),
        "{what}: `{error}` does not name the config path"
    );
    assert!(error.contains("retry"), "{what}: `{error}` gives no fix");
}

async fn change_fails_cleanly_and_succeeds_after_repair(fault: Fault, problem: &str) {
    if let Some(reason) = mounts_unavailable() {
        println!("SKIPPED ({fault:?}): {reason}");
        return;
    }
    let mut fx = fixture_stdio("fx");
    fx["env"] = json!({"MODE": "old"});
    fx["quarantined"] = json!(false);
    let ns = Namespaced::start(&config_with(fx));
    let api = Api::new(&ns.proxy.base);
    api.wait_ready("fx").await;
    let (client, _rx) = connect(&ns.proxy.all_url()).await;
    wait_for("fx__echo on /mcp/all", READY, || async {
        let result = call_tool(&client, "fx__echo", json!({"message": "before"})).await?;
        (text(&result) == "before").then_some(())
    })
    .await;

    let before = ns.config_bytes();
    let entries_before = ns.dir_entries();
    let os_error = ns.break_dir(fault);
    println!("{fault:?}: a write into the config dir now fails with: {os_error}");
    let entries_broken = ns.dir_entries();

    let patch = api
        .patch("/servers/fx", json!({"env": {"MODE": "new"}}))
        .await;
    assert_refused("PATCH", &patch, problem, &ns.proxy.config_path);
    let add = json!({"name": "added", "protocol": "http", "url": "http://127.0.0.1:9/mcp"});
    let post = api.post("/servers", add.clone()).await;
    assert_refused("POST", &post, problem, &ns.proxy.config_path);

    assert_eq!(
        ns.config_bytes(),
        before,
        "the config file changed on a failed save"
    );
    assert_eq!(
        ns.dir_entries(),
        entries_broken,
        "a failed save left files behind"
    );
    assert_eq!(
        api.server("fx").await["env"]["MODE"],
        "old",
        "memory took the change"
    );
    let listed = api.get("/servers").await;
    assert!(!listed.text.contains("\"added\""), "{}", listed.text);
    // MCP keeps serving, on the open session and on a new one.
    assert_eq!(
        text(&call(&client, "fx__echo", json!({"message": "during"})).await),
        "during"
    );
    let (fresh, _rx2) = connect(&ns.proxy.all_url()).await;
    assert_eq!(
        text(&call(&fresh, "fx__echo", json!({"message": "new"})).await),
        "new"
    );
    fresh.cancel().await.unwrap();

    ns.repair(fault);
    assert_eq!(ns.dir_entries(), entries_before);
    let patch = api
        .patch("/servers/fx", json!({"env": {"MODE": "new"}}))
        .await;
    assert_eq!(patch.status, 200, "retry after repair: {}", patch.text);
    let post = api.post("/servers", add).await;
    assert_eq!(post.status, 201, "retry after repair: {}", post.text);
    let saved: Value = serde_json::from_slice(&ns.config_bytes()).unwrap();
    assert_eq!(saved["mcpServers"][0]["env"]["MODE"], "new");
    assert_eq!(saved["mcpServers"][1]["name"], "added");
    assert_eq!(api.server("fx").await["env"]["MODE"], "new");
    // The upstream restarted with the saved definition.
    wait_for(
        "fx to run with MODE=new",
        Duration::from_secs(30),
        || async {
            let result = call_tool(&client, "fx__get_env", json!({"name": "MODE"})).await?;
            (text(&result) == "new").then_some(())
        },
    )
    .await;
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_config_dir_refuses_changes_and_keeps_serving() {
    change_fails_cleanly_and_succeeds_after_repair(Fault::ReadOnly, "Read-only file system").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn full_disk_refuses_changes_and_keeps_serving() {
    change_fails_cleanly_and_succeeds_after_repair(Fault::DiskFull, "No space left on device")
        .await;
}
