//! The run's report: JSON (everything) and Markdown (tables), written to one directory.

use crate::machine::Machine;
use crate::stats::{ms, Summary};
use crate::{callgrind, latency, memory, search, startup};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Targets from the issue, checked on `/mcp/all` and `call_tool_read` rows.
pub const ADDED_P50_TARGET_US: f64 = 300.0;
/// p99 added at c = 1.
pub const ADDED_P99_TARGET_US: f64 = 1000.0;
/// Throughput share of direct at c = 32.
pub const THROUGHPUT_TARGET: f64 = 0.70;

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Machine and load.
    pub machine: Machine,
    /// How the run was sized.
    pub options: BTreeMap<String, String>,
    /// (1) + (2).
    pub latency: Option<latency::Report>,
    /// (3).
    pub search: Option<search::Report>,
    /// (4).
    pub startup: Option<startup::Report>,
    /// (5).
    pub memory: Option<memory::Report>,
    /// (6).
    pub callgrind: Option<callgrind::Report>,
    /// Sections that failed or were skipped, with the reason.
    pub errors: BTreeMap<String, String>,
}

fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn header(out: &mut String, cells: &[&str]) {
    row(
        out,
        &cells.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    );
    row(
        out,
        &cells.iter().map(|_| "---".to_string()).collect::<Vec<_>>(),
    );
}

fn pct(r: f64) -> String {
    format!("{:.0} %", r * 100.0)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn summary_cells(s: &Summary) -> Vec<String> {
    vec![ms(s.p50_us), ms(s.p95_us), ms(s.p99_us)]
}

/// Verdicts on the targets.
pub fn verdicts(latency: &latency::Report) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for r in latency
        .rows
        .iter()
        .filter(|r| r.target.starts_with("mcpproxy"))
    {
        if r.concurrency == 1 {
            out.push((
                format!(
                    "{} {} c=1: added p50 {:.0} µs ≤ {ADDED_P50_TARGET_US:.0} µs, added p99 {:.0} µs ≤ {ADDED_P99_TARGET_US:.0} µs",
                    r.transport, r.target, r.added_p50_us, r.added_p99_us
                ),
                r.added_p50_us <= ADDED_P50_TARGET_US && r.added_p99_us <= ADDED_P99_TARGET_US,
            ));
        }
        if r.concurrency == 32 {
            out.push((
                format!(
                    "{} {} c=32: throughput {} of direct ≥ {}",
                    r.transport,
                    r.target,
                    pct(r.throughput_ratio),
                    pct(THROUGHPUT_TARGET)
                ),
                r.throughput_ratio >= THROUGHPUT_TARGET,
            ));
        }
    }
    out
}

impl Report {
    /// Markdown rendering.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let m = &self.machine;
        let _ = writeln!(o, "# mcpproxy benchmark report\n");
        let _ = writeln!(
            o,
            "{} · commit {} · {} build · {} × {} · {} MiB · Linux {} · {}\n\nLoad average (1/5/15 min): {} at start, {} at end.\n",
            m.started, m.commit, m.profile, m.cpus, m.cpu, m.memory_mib, m.kernel, m.rustc, m.load_before, m.load_after
        );
        let opts: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(o, "Options: {}\n", opts.join(", "));
        if let Some(l) = &self.latency {
            let _ = writeln!(
                o,
                "## 1–2. tools/call latency: direct vs proxied vs peers\n"
            );
            let _ = writeln!(o, "Fixture `echo`; times in ms; ratios against `direct` at the same transport and concurrency.\n");
            header(
                &mut o,
                &[
                    "upstream",
                    "target",
                    "c",
                    "p50",
                    "p95",
                    "p99",
                    "added p50",
                    "added p99",
                    "calls/s",
                    "vs direct",
                    "errors",
                ],
            );
            for r in &l.rows {
                let mut cells = vec![
                    r.transport.clone(),
                    r.target.clone(),
                    r.concurrency.to_string(),
                ];
                cells.extend(summary_cells(&r.latency));
                cells.push(ms(r.added_p50_us));
                cells.push(ms(r.added_p99_us));
                cells.push(format!("{:.0}", r.throughput));
                cells.push(pct(r.throughput_ratio));
                cells.push(r.errors.to_string());
                row(&mut o, &cells);
            }
            let _ = writeln!(o, "\nTargets:\n");
            for (text, ok) in verdicts(l) {
                let _ = writeln!(o, "- {} {text}", if ok { "PASS" } else { "MISS" });
            }
            if !l.skipped.is_empty() {
                let _ = writeln!(o, "\nNot measured:\n");
                for s in &l.skipped {
                    let _ = writeln!(o, "- {} over {}: {}", s.target, s.transport, s.reason);
                }
            }
            let _ = writeln!(o);
        }
        if let Some(s) = &self.search {
            let _ = writeln!(o, "## 3. Search\n");
            header(
                &mut o,
                &[
                    "tools",
                    "index build ms",
                    "catalog build ms",
                    "index query p50/p99 ms",
                    "retrieve_tools p50",
                    "p95",
                    "p99",
                    "describe_tool p50 (no search)",
                    "misses",
                    "searchable after ms",
                    "proxy RSS MiB",
                ],
            );
            for r in &s.sizes {
                let mut cells = vec![
                    r.tools.to_string(),
                    format!("{:.1}", r.index_build_ms),
                    format!("{:.1}", r.catalog_build_ms),
                    format!(
                        "{} / {}",
                        ms(r.index_query.p50_us),
                        ms(r.index_query.p99_us)
                    ),
                ];
                cells.extend(summary_cells(&r.retrieve_tools));
                cells.push(ms(r.describe_tool.p50_us));
                cells.push(r.misses.to_string());
                cells.push(format!("{:.0}", r.searchable_after_ms));
                cells.push(mib(r.proxy_rss_kib));
                row(&mut o, &cells);
            }
            let r = &s.recall;
            let _ = writeln!(
                o,
                "\nRetrieval set (bench/data: {} real tools, {} queries): recall@1 {:.3}, recall@5 {:.3}, recall@10 {:.3}, MRR@10 {:.3}.\n",
                r.tools, r.queries, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr
            );
        }
        if let Some(s) = &self.startup {
            let _ = writeln!(o, "## 4. Startup\n");
            header(&mut o, &["measure", "p50 ms", "max ms", "runs"]);
            let n = s.upstreams;
            for (label, v) in [
                (
                    "spawn → listening (no upstreams)".to_string(),
                    &s.listening_empty,
                ),
                (
                    "spawn → initialize answered (no upstreams)".to_string(),
                    &s.initialize_empty,
                ),
                (
                    format!("spawn → initialize answered ({n} stdio upstreams)"),
                    &s.initialize_many,
                ),
                (
                    format!("spawn → all {n} upstreams ready"),
                    &s.all_ready_many,
                ),
                (
                    "direct: spawn one fixture → initialized".to_string(),
                    &s.direct_one,
                ),
                (
                    format!("direct: {n} fixtures spawned + initialized one by one"),
                    &s.direct_serial_all,
                ),
            ] {
                row(
                    &mut o,
                    &[label, ms(v.p50_us), ms(v.max_us), v.n.to_string()],
                );
            }
            let _ = writeln!(
                o,
                "\nAll {n} ready through the proxy took {:.2}× the time of initializing them one by one directly.\n",
                s.all_ready_many.p50_us / s.direct_serial_all.p50_us.max(1.0)
            );
        }
        if let Some(mem) = &self.memory {
            let _ = writeln!(o, "## 5. Memory and processes\n");
            header(&mut o, &["measure", "value"]);
            row(
                &mut o,
                &["proxy RSS idle (MiB)".into(), mib(mem.idle_rss_kib)],
            );
            row(
                &mut o,
                &[
                    format!("proxy RSS with {} upstreams ready (MiB)", mem.upstreams),
                    mib(mem.many_rss_kib),
                ],
            );
            row(
                &mut o,
                &[
                    "processes under the proxy / their RSS (MiB)".to_string(),
                    format!("{} / {}", mem.many_children, mib(mem.many_children_rss_kib)),
                ],
            );
            row(
                &mut o,
                &[
                    "one fixture started directly (MiB)".into(),
                    mib(mem.fixture_rss_kib),
                ],
            );
            if let Some(s) = &self.search {
                if let Some(big) = s.sizes.last() {
                    row(
                        &mut o,
                        &[
                            format!("proxy RSS with a {}-tool index (MiB)", big.tools),
                            mib(big.proxy_rss_kib),
                        ],
                    );
                }
            }
            row(
                &mut o,
                &[
                    format!(
                        "child processes before / after {} restart cycles",
                        mem.restart_cycles
                    ),
                    format!(
                        "{} / {} ({})",
                        mem.children_before,
                        mem.children_after,
                        if mem.children_before == mem.children_after {
                            "equal"
                        } else {
                            "DIFFERENT"
                        }
                    ),
                ],
            );
            row(
                &mut o,
                &[
                    "restart cycle, mean (ms)".into(),
                    format!("{:.0}", mem.cycles_ms / mem.restart_cycles.max(1) as f64),
                ],
            );
            let _ = writeln!(o);
        }
        if let Some(c) = &self.callgrind {
            let _ = writeln!(o, "## 6. Instruction counts (callgrind)\n");
            header(&mut o, &["path", "instructions per call"]);
            row(
                &mut o,
                &[
                    "in-process parse → route → forward → serialize".into(),
                    format!("{:.0}", c.hotpath_ir_per_call),
                ],
            );
            row(
                &mut o,
                &[
                    format!(
                        "mcpproxy process, /mcp/all tools/call ({} vs {} calls)",
                        c.proxy_calls.0, c.proxy_calls.1
                    ),
                    format!("{:.0}", c.proxy_ir_per_call),
                ],
            );
            let _ = writeln!(o, "\n{}\n", c.valgrind);
        }
        if !self.errors.is_empty() {
            let _ = writeln!(o, "## Sections not measured\n");
            for (k, v) in &self.errors {
                let _ = writeln!(o, "- {k}: {v}");
            }
        }
        o
    }

    /// Write `report.json` and `report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(self)?)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        Ok(())
    }
}
