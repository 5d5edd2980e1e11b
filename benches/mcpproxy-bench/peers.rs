//! Peer proxies on the same fixture: sparfenyuk `mcp-proxy` (PyPI), FastMCP's proxy
//! (PyPI `fastmcp`) and `mcp-hub` (npm), installed by `bench/setup-peers.sh`.

use crate::procs::{free_port, stop};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The upstream a peer fronts.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// Spawn `fixture stdio --name fx`.
    Stdio(PathBuf),
    /// Connect to this Streamable HTTP URL.
    Http(String),
}

/// A running peer proxy; stopped on drop.
pub struct PeerProcess {
    child: Child,
    /// Its MCP endpoint.
    pub url: String,
    /// The endpoint speaks the legacy HTTP+SSE transport (`GET` event stream + `POST`).
    pub legacy_sse: bool,
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The peers, by report name.
pub const PEERS: [&str; 3] = ["mcp-proxy", "fastmcp", "mcp-hub"];

/// Start `peer` in front of `upstream`; `Err` says why it cannot (not installed, cannot
/// front this kind of upstream, failed to start).
pub fn start(
    peer: &str,
    peers_dir: &Path,
    upstream: &Upstream,
    work: &Path,
) -> anyhow::Result<PeerProcess> {
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    // mcp-hub 4.2.1 serves the legacy HTTP+SSE transport at /mcp (GET stream + POST /messages).
    let legacy_sse = peer == "mcp-hub";
    let mut command = match peer {
        "mcp-proxy" => {
            let bin = installed(peers_dir.join("mcp-proxy/bin/mcp-proxy"))?;
            let Upstream::Stdio(fixture) = upstream else {
                anyhow::bail!(
                    "mcp-proxy serves stdio servers over HTTP; for an HTTP upstream it only \
                     offers the reverse direction (HTTP → stdio), so it cannot front it"
                );
            };
            let mut c = Command::new(bin);
            c.args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--log-level",
                "WARNING",
                "--",
            ])
            .arg(fixture)
            .args(["stdio", "--name", "fx"]);
            c
        }
        "fastmcp" => {
            let python = installed(peers_dir.join("fastmcp/bin/python"))?;
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/peers/fastmcp_proxy.py");
            let mut c = Command::new(python);
            c.arg(script).arg(port.to_string());
            match upstream {
                Upstream::Stdio(fixture) => {
                    c.arg("--").arg(fixture).args(["stdio", "--name", "fx"]);
                }
                Upstream::Http(u) => {
                    c.args(["--url", u]);
                }
            }
            c
        }
        "mcp-hub" => {
            let cli = installed(peers_dir.join("mcp-hub/node_modules/mcp-hub/dist/cli.js"))?;
            let server = match upstream {
                Upstream::Stdio(fixture) => {
                    serde_json::json!({"command": fixture, "args": ["stdio", "--name", "fx"]})
                }
                Upstream::Http(u) => serde_json::json!({"url": u}),
            };
            let config = work.join(format!("mcp-hub-{port}.json"));
            std::fs::write(
                &config,
                serde_json::to_vec(&serde_json::json!({"mcpServers": {"fx": server}}))?,
            )?;
            let mut c = Command::new("node");
            c.arg(cli)
                .args(["--port", &port.to_string(), "--config"])
                .arg(config);
            c
        }
        other => anyhow::bail!("unknown peer {other}"),
    };
    let log = std::fs::File::create(work.join(format!("{peer}-{port}.log")))?;
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| anyhow::anyhow!("{peer}: cannot start: {e}"))?;
    Ok(PeerProcess {
        child,
        url,
        legacy_sse,
    })
}

fn installed(path: PathBuf) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(
        path.exists(),
        "not installed ({} missing; run bench/setup-peers.sh)",
        path.display()
    );
    Ok(path)
}

/// The tail of a peer's log, for error reports.
pub fn log_tail(work: &Path, peer: &str, url: &str) -> String {
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap_or_default();
    let text = std::fs::read_to_string(work.join(format!("{peer}-{port}.log"))).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}
