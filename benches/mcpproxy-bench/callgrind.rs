//! (6) Instruction counts with callgrind: the in-process hot path (parse → route → forward →
//! serialize) and one proxied call through the real binary, each as the difference of two
//! runs with different call counts (start-up and shutdown cancel out).

use crate::client::{self, Call};
use crate::procs::{self, Bins, Proxy};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Section result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// valgrind version.
    pub valgrind: String,
    /// Instructions per call of the in-process pipeline.
    pub hotpath_ir_per_call: f64,
    /// Instructions per `/mcp/all` `tools/call` in the `mcpproxy` process (HTTP in, stdio out).
    pub proxy_ir_per_call: f64,
    /// Calls in the (small, large) runs of the real binary.
    pub proxy_calls: (usize, usize),
}

/// Total `Ir` of a callgrind output file.
fn total_ir(path: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no totals in {}", path.display()))
}

fn valgrind_version() -> anyhow::Result<String> {
    let out = Command::new("valgrind")
        .arg("--version")
        .output()
        .map_err(|e| anyhow::anyhow!("valgrind not available: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn callgrind_args(out: &Path) -> Vec<String> {
    vec![
        "valgrind".into(),
        "--tool=callgrind".into(),
        format!("--callgrind-out-file={}", out.display()),
    ]
}

fn hotpath_ir(iterations: usize, work: &Path) -> anyhow::Result<u64> {
    let out = work.join(format!("callgrind.hotpath.{iterations}"));
    let args = callgrind_args(&out);
    let status = Command::new(&args[0])
        .args(&args[1..])
        .arg(std::env::current_exe()?)
        .args(["--hotpath-loop", &iterations.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "callgrind run of the hot path failed");
    total_ir(&out)
}

async fn proxy_ir(bins: &Bins, calls: usize, work: &Path) -> anyhow::Result<u64> {
    let out: PathBuf = work.join(format!("callgrind.proxy.{calls}"));
    let mut proxy = Proxy::start_wrapped(
        bins,
        json!([bins.stdio_server("fx", &[])]),
        json!({}),
        &callgrind_args(&out),
    )?;
    let session = client::connect_http(&proxy.all_url()).await?;
    client::wait_for_tool(session.peer(), "fx__echo", Duration::from_secs(300)).await?;
    let call = Call::echo("fx__echo", "callgrind");
    for _ in 0..calls {
        client::call_once(session.peer(), &call).await?;
    }
    let _ = session.cancel().await;
    procs::stop(&mut proxy.child);
    total_ir(&out)
}

/// Run the section (`calls` = the small run; the large run makes three times as many). The
/// callgrind files stay in `out` for `callgrind_annotate`.
pub async fn run(bins: &Bins, calls: usize, out: &Path) -> anyhow::Result<Report> {
    let valgrind = valgrind_version()?;
    std::fs::create_dir_all(out)?;
    let work = out;
    let (small, large) = (calls, calls * 3);
    let hot_small = hotpath_ir(small, work)?;
    let hot_large = hotpath_ir(large, work)?;
    let proxy_small = proxy_ir(bins, small, work).await?;
    let proxy_large = proxy_ir(bins, large, work).await?;
    let per = |a: u64, b: u64| (b as f64 - a as f64) / (large - small) as f64;
    Ok(Report {
        valgrind,
        hotpath_ir_per_call: per(hot_small, hot_large),
        proxy_ir_per_call: per(proxy_small, proxy_large),
        proxy_calls: (small, large),
    })
}
