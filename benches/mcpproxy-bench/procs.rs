//! Processes under test: the proxy, fixture upstreams, peers; RSS and descendants from /proc.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Resident set size of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Parent pid and state of `pid`.
fn stat(pid: u32) -> Option<(u32, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Living (non-zombie) descendants of `root`.
pub fn descendants(root: u32) -> Vec<u32> {
    let all: Vec<(u32, u32, char)> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| stat(pid).map(|(ppid, state)| (pid, ppid, state)))
                .collect()
        })
        .unwrap_or_default();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            all.iter()
                .filter(|(_, ppid, _)| *ppid == parent)
                .map(|(pid, _, _)| *pid),
        );
        i += 1;
    }
    found.remove(0);
    found.retain(|pid| all.iter().any(|(p, _, s)| p == pid && *s != 'Z'));
    found
}

/// Summed RSS of `pids` in KiB.
pub fn total_rss_kib(pids: &[u32]) -> u64 {
    pids.iter().filter_map(|&p| rss_kib(p)).sum()
}

/// SIGTERM `child`, wait up to 20 s, then SIGKILL.
pub fn stop(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Binaries under test.
#[derive(Debug, Clone)]
pub struct Bins {
    /// `mcpproxy`.
    pub proxy: PathBuf,
    /// The fixture upstream (`fixture_server` example).
    pub fixture: PathBuf,
}

impl Bins {
    /// The `mcpproxy` binary cargo built for this bench, and the fixture built with the
    /// same profile (built here if missing).
    pub fn locate() -> anyhow::Result<Self> {
        let proxy = PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy"));
        let profile_dir = proxy
            .parent()
            .expect("binary in a target dir")
            .to_path_buf();
        let fixture = profile_dir.join("examples").join("fixture_server");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--example", "fixture_server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status()?;
        anyhow::ensure!(status.success(), "building the fixture server failed");
        anyhow::ensure!(fixture.exists(), "{} missing", fixture.display());
        Ok(Self { proxy, fixture })
    }

    /// Config entry for a stdio fixture upstream named `name` (extra fixture args appended).
    pub fn stdio_server(&self, name: &str, extra: &[&str]) -> Value {
        let mut args = vec!["stdio".to_string(), "--name".into(), name.into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        json!({"name": name, "protocol": "stdio", "command": self.fixture, "args": args, "quarantined": false})
    }
}

/// Config entry for a Streamable HTTP upstream.
pub fn http_server(name: &str, url: &str) -> Value {
    json!({"name": name, "protocol": "streamable-http", "url": url, "quarantined": false})
}

/// A running `mcpproxy serve`; stopped on drop.
pub struct Proxy {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// When the process was spawned.
    pub spawned_at: Instant,
    /// Spawn → "listening" line.
    pub listening_after: Duration,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// Start the proxy with `servers` and extra top-level config fields.
    pub fn start(bins: &Bins, servers: Value, extra: Value) -> anyhow::Result<Self> {
        Self::start_wrapped(bins, servers, extra, &[])
    }

    /// Like [`Proxy::start`], but run under `wrapper` (e.g. valgrind and its options).
    pub fn start_wrapped(
        bins: &Bins,
        servers: Value,
        extra: Value,
        wrapper: &[String],
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = json!({
            "listen": "127.0.0.1:0",
            "api_key": "bench-key-0123456789",
            "mcpServers": servers,
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                config[k] = v;
            }
        }
        let config_path = dir.path().join("mcp_config.json");
        std::fs::write(&config_path, serde_json::to_string_pretty(&config)?)?;
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(&bins.proxy);
                c
            }
            None => Command::new(&bins.proxy),
        };
        command
            .args(["serve", "--config"])
            .arg(&config_path)
            .arg("--data-dir")
            .arg(dir.path())
            .env("MCPPROXY_LOG", "warn,rmcp=error,tantivy=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let spawned_at = Instant::now();
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = lines.next() else {
                let _ = child.wait();
                anyhow::bail!("mcpproxy exited before listening");
            };
            if let Some(rest) = line?.strip_prefix("mcpproxy listening on ") {
                let url = rest.split_whitespace().next().unwrap_or_default();
                break url.trim_end_matches("/mcp").to_string();
            }
        };
        let listening_after = spawned_at.elapsed();
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Ok(Self {
            child,
            base,
            spawned_at,
            listening_after,
            _dir: dir,
        })
    }

    /// `/mcp`.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    /// `/mcp/all`.
    pub fn all_url(&self) -> String {
        format!("{}/mcp/all", self.base)
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A fixture upstream serving Streamable HTTP; killed on drop.
pub struct HttpFixture {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl HttpFixture {
    /// Start `fixture http --port 0 --name NAME`.
    pub fn start(bins: &Bins, name: &str) -> anyhow::Result<Self> {
        let mut child = Command::new(&bins.fixture)
            .args(["http", "--port", "0", "--name", name])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("LISTENING ")
            .ok_or_else(|| anyhow::anyhow!("unexpected fixture output: {line:?}"))?
            .to_string();
        Ok(Self { child, url })
    }
}

impl Drop for HttpFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback TCP port (bound and released; good enough for local benchmarks).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Write `value` as pretty JSON to `dir/name` and return the path.
pub fn write_json(dir: &Path, name: &str, value: &Value) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(value)?)?;
    Ok(path)
}
