//! Shared harness for end-to-end tests: the real `mcpproxy` binary, the fixture server,
//! real MCP clients (rmcp) and bounded waits on conditions.
#![allow(dead_code)]

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    JsonObject,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::mpsc;

/// Path of the `mcpproxy` binary under test.
pub fn proxy_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy"))
}

/// Path of the fixture server, building it once if needed.
pub fn fixture_bin() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target_dir = proxy_bin().parent().unwrap().to_path_buf();
            let path = target_dir.join("examples").join("fixture_server");
            let status = Command::new(env!("CARGO"))
                .args(["build", "--example", "fixture_server"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo build --example fixture_server");
            assert!(status.success(), "building the fixture server failed");
            assert!(path.exists(), "{} missing", path.display());
            path
        })
        .clone()
}

/// `tests/npm/node_modules` (installed by scripts/test.sh).
pub fn npm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npm")
}

/// Entry point of `@modelcontextprotocol/server-everything`.
pub fn everything_js() -> PathBuf {
    let path = npm_dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        path.exists(),
        "{} missing: run `npm ci` in tests/npm (scripts/test.sh does)",
        path.display()
    );
    path
}

/// `@modelcontextprotocol/server-everything` serving `mode` (`streamableHttp` or `sse`) on a
/// free loopback port; killed on drop.
pub struct EverythingServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: tokio::process::Child,
}

impl EverythingServer {
    /// Start it and wait until it accepts connections.
    pub async fn start(mode: &str) -> Self {
        let port = free_port();
        let child = tokio::process::Command::new("node")
            .arg(everything_js())
            .arg(mode)
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        wait_for(
            &format!("server-everything ({mode}) to listen on port {port}"),
            Duration::from_secs(30),
            || async {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
        Self { port, child }
    }

    /// Kill it now (e.g. to test what a client does when the server goes away).
    pub async fn kill(&mut self) {
        self.child.kill().await.expect("kill server-everything");
    }
}

/// Poll `check` every 50 ms until it returns `Some` or `timeout` passes (then panic with `what`).
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running `mcpproxy serve` with its own data dir; killed on drop.
pub struct Proxy {
    pub child: Option<Child>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    /// Everything the proxy wrote to stderr (its log).
    pub stderr_log: PathBuf,
}

impl Proxy {
    /// Start the proxy with `mcpServers` = `servers` (trusted: each without a `quarantined`
    /// key gets `"quarantined": false`, as a person opting out would write) and optional extra
    /// top-level fields.
    pub fn start(mut servers: Value, extra: Value) -> Self {
        if let Value::Array(list) = &mut servers {
            for server in list {
                if server.get("quarantined").is_none() {
                    server["quarantined"] = json!(false);
                }
            }
        }
        Self::start_untrusted(servers, extra)
    }

    /// Like [`Proxy::start`] but servers keep their `quarantined` keys as given (or none).
    pub fn start_untrusted(servers: Value, extra: Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = json!({
            "listen": "127.0.0.1:0",
            "api_key": "test-key-0123456789",
            "mcpServers": servers,
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                config[k] = v;
            }
        }
        let config_path = dir.path().join("mcp_config.json");
        std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
        Self::start_with_config(dir, config_path)
    }

    /// Start with an existing config file.
    pub fn start_with_config(dir: tempfile::TempDir, config_path: PathBuf) -> Self {
        Self::start_with_config_env(dir, config_path, &[])
    }

    /// Start with an existing config file and extra environment variables.
    pub fn start_with_config_env(
        dir: tempfile::TempDir,
        config_path: PathBuf,
        envs: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new(proxy_bin());
        command
            .envs(envs.iter().copied())
            .args(["serve", "--config"])
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.path());
        Self::start_command(dir, config_path, command)
    }

    /// Start `command` (a `mcpproxy serve …` invocation, possibly behind a wrapper that
    /// `exec`s it) and wait until it listens. `config_path` is recorded as given.
    pub fn start_command(
        dir: tempfile::TempDir,
        config_path: PathBuf,
        mut command: Command,
    ) -> Self {
        if !command.get_envs().any(|(k, _)| k == "MCPPROXY_LOG") {
            command.env("MCPPROXY_LOG", "info,rmcp=warn,tantivy=warn");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mcpproxy");
        // Tee stderr to the terminal and to a file tests can inspect (`stderr_log`).
        let stderr_log = dir.path().join("proxy-stderr.log");
        let stderr = child.stderr.take().unwrap();
        let mut sink = std::fs::File::create(&stderr_log).unwrap();
        std::thread::spawn(move || {
            use std::io::Write;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                let _ = writeln!(sink, "{line}");
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("mcpproxy exited before listening")
                .expect("read stdout");
            if let Some(rest) = line.strip_prefix("mcpproxy listening on ") {
                let url = rest.split_whitespace().next().unwrap();
                break url.trim_end_matches("/mcp").to_string();
            }
        };
        // Keep draining stdout so the proxy never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Self {
            child: Some(child),
            base,
            dir,
            config_path,
            stderr_log,
        }
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    pub fn all_url(&self) -> String {
        format!("{}/mcp/all", self.base)
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// Path of server `name`'s log file (its stderr and connection events).
    pub fn server_log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("logs/server-{name}.log"))
    }

    /// Wait until server `name`'s log contains `needle` (e.g. a line the fixture prints when a
    /// call reaches it or is cancelled).
    pub async fn wait_for_server_log(&self, name: &str, needle: &str) {
        let log = self.server_log(name);
        wait_for(
            &format!("`{needle}` in {}", log.display()),
            Duration::from_secs(15),
            || async {
                std::fs::read_to_string(&log)
                    .unwrap_or_default()
                    .contains(needle)
                    .then_some(())
            },
        )
        .await;
    }

    /// SIGTERM and wait for exit; returns the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        child.wait().unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let deadline = std::time::Instant::now() + Duration::from_secs(25);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port that was free a moment ago (for configs that need a fixed `listen`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Config entry for the fixture over stdio.
pub fn fixture_stdio(name: &str) -> Value {
    json!({
        "name": name,
        "protocol": "stdio",
        "command": fixture_bin(),
        "args": ["stdio", "--name", name],
    })
}

/// A fixture server over Streamable HTTP on an ephemeral port; killed on drop.
pub struct HttpFixture {
    pub child: Child,
    pub url: String,
}

impl HttpFixture {
    pub fn start(name: &str) -> Self {
        Self::start_on(name, 0)
    }

    pub fn start_on(name: &str, port: u16) -> Self {
        let mut child = Command::new(fixture_bin())
            .args(["http", "--port", &port.to_string(), "--name", name])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn fixture http");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("unexpected fixture output: {line}"))
            .to_string();
        Self { child, url }
    }

    pub fn port(&self) -> u16 {
        url::Url::parse(&self.url).unwrap().port().unwrap()
    }
}

impl Drop for HttpFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Notifications a test client observed.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    ToolsChanged,
    Progress(f64, Option<f64>),
}

/// Test client handler that reports notifications on a channel.
pub struct Recorder {
    pub tx: mpsc::UnboundedSender<Seen>,
}

impl ClientHandler for Recorder {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("e2e-test", "0"),
        )
        .with_protocol_version(rmcp::model::ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.tx.send(Seen::ToolsChanged);
    }

    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.tx.send(Seen::Progress(params.progress, params.total));
    }
}

pub type Client = RunningService<RoleClient, Recorder>;

/// Connect an rmcp client to `url`; returns the client and its notification stream.
pub async fn connect(url: &str) -> (Client, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let transport = StreamableHttpClientTransport::from_uri(url.to_string());
    let client = Recorder { tx }
        .serve(transport)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    (client, rx)
}

pub fn obj(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Call `tool` with `args` and return the result.
pub async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    client
        .peer()
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(obj(args)))
        .await
        .unwrap_or_else(|e| panic!("call {tool}: {e}"))
}

/// Text of the first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// Structured JSON of a built-in tool result (or its text parsed as JSON).
pub fn json_of(result: &CallToolResult) -> Value {
    result
        .structured_content
        .clone()
        .unwrap_or_else(|| serde_json::from_str(&text(result)).unwrap_or(Value::Null))
}

/// Wait until `retrieve_tools` on `/mcp` finds `key` (server:tool) for `query`.
pub async fn wait_for_tool(client: &Client, query: &str, key: &str) {
    wait_for(
        &format!("{key} to be searchable"),
        Duration::from_secs(60),
        || async {
            let result = call(
                client,
                "retrieve_tools",
                json!({"query": query, "limit": 50}),
            )
            .await;
            let found = json_of(&result)["tools"]
                .as_array()
                .is_some_and(|tools| tools.iter().any(|t| t["name"] == key));
            found.then_some(())
        },
    )
    .await
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next();
            state != Some("Z") && state != Some("X")
        }
        Err(_) => false,
    }
}

/// The pids written one per line to `path` (missing file: none).
pub fn read_pids(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}
