//! `mcpproxy-bench`: end-to-end benchmarks of the real `mcpproxy` binary against direct
//! calls and peer proxies, written as a Markdown + JSON report.
//!
//! ```text
//! cargo bench --bench mcpproxy-bench -- [--out DIR] [--sections latency,search,startup,memory,callgrind]
//!     [--calls N] [--rounds N] [--peers-dir DIR | --no-peers]
//! ```
//! Under `cargo test` (no `--bench` argument) it runs as a smoke test with tiny counts and
//! fails when a section fails, so the harness cannot rot. See docs/performance.md.

#[path = "../support/hotpath.rs"]
mod hotpath;
#[path = "../support/recall.rs"]
mod recall;
#[path = "../support/synthetic.rs"]
mod synthetic;

mod callgrind;
mod client;
mod latency;
mod machine;
mod memory;
mod peers;
mod procs;
mod readiness;
mod report;
mod search;
mod startup;
mod stats;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Sizes of one run.
#[derive(Debug, Clone)]
struct Plan {
    smoke: bool,
    out: PathBuf,
    sections: Vec<String>,
    latency: latency::Options,
    search_sizes: Vec<usize>,
    search_queries: usize,
    index_builds: usize,
    startup_upstreams: usize,
    startup_repeats: usize,
    restart_cycles: usize,
    callgrind_calls: usize,
}

const SECTIONS: [&str; 5] = ["latency", "search", "startup", "memory", "callgrind"];

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> anyhow::Result<&'a str> {
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
}

fn plan(args: &[String]) -> anyhow::Result<Plan> {
    let smoke = !args.iter().any(|a| a == "--bench");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stamp = machine::describe().started.replace(':', "");
    let default_peers = root.join("bench/.peers");
    let mut p = if smoke {
        Plan {
            smoke,
            out: std::env::temp_dir().join(format!("mcpproxy-bench-smoke-{}", std::process::id())),
            sections: SECTIONS[..4].iter().map(|s| s.to_string()).collect(),
            latency: latency::Options {
                calls: 40,
                rounds: 2,
                concurrency: vec![1, 4],
                warmup: 10,
                peers_dir: None,
            },
            search_sizes: vec![100],
            search_queries: 20,
            index_builds: 1,
            startup_upstreams: 5,
            startup_repeats: 1,
            restart_cycles: 3,
            callgrind_calls: 20,
        }
    } else {
        Plan {
            smoke,
            out: root.join("bench/results").join(stamp),
            sections: SECTIONS.iter().map(|s| s.to_string()).collect(),
            latency: latency::Options {
                calls: 2000,
                rounds: 4,
                concurrency: vec![1, 8, 32],
                warmup: 200,
                peers_dir: default_peers.exists().then_some(default_peers),
            },
            search_sizes: vec![100, 1_000, 10_000],
            search_queries: 300,
            index_builds: 5,
            startup_upstreams: 50,
            startup_repeats: 3,
            restart_cycles: 100,
            callgrind_calls: 100,
        }
    };
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--bench" => {}
            "--out" => p.out = PathBuf::from(value(args, &mut i, "--out")?),
            "--sections" => {
                p.sections = value(args, &mut i, "--sections")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
                if let Some(bad) = p.sections.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    anyhow::bail!("unknown section `{bad}` (sections: {})", SECTIONS.join(","));
                }
            }
            "--calls" => p.latency.calls = value(args, &mut i, "--calls")?.parse()?,
            "--rounds" => p.latency.rounds = value(args, &mut i, "--rounds")?.parse()?,
            "--peers-dir" => {
                p.latency.peers_dir = Some(PathBuf::from(value(args, &mut i, "--peers-dir")?))
            }
            "--no-peers" => p.latency.peers_dir = None,
            "--restart-cycles" => {
                p.restart_cycles = value(args, &mut i, "--restart-cycles")?.parse()?
            }
            other => anyhow::bail!(
                "unknown argument `{other}`; see the top of benches/mcpproxy-bench/main.rs"
            ),
        }
        i += 1;
    }
    Ok(p)
}

fn options(p: &Plan) -> BTreeMap<String, String> {
    let mut o = BTreeMap::new();
    o.insert("mode".into(), if p.smoke { "smoke" } else { "full" }.into());
    o.insert("calls_per_target_and_c".into(), p.latency.calls.to_string());
    o.insert("rounds".into(), p.latency.rounds.to_string());
    o.insert("concurrency".into(), format!("{:?}", p.latency.concurrency));
    o.insert("search_sizes".into(), format!("{:?}", p.search_sizes));
    o.insert("startup_upstreams".into(), p.startup_upstreams.to_string());
    o.insert("restart_cycles".into(), p.restart_cycles.to_string());
    o
}

async fn run(p: &Plan) -> anyhow::Result<report::Report> {
    let bins = procs::Bins::locate()?;
    let work = tempfile::tempdir()?;
    let mut report = report::Report {
        machine: machine::describe(),
        options: options(p),
        latency: None,
        search: None,
        startup: None,
        memory: None,
        callgrind: None,
        errors: BTreeMap::new(),
    };
    let wants = |s: &str| p.sections.iter().any(|x| x == s);
    macro_rules! section {
        ($name:literal, $field:ident, $fut:expr) => {
            if wants($name) {
                eprintln!("mcpproxy-bench: {} …", $name);
                match $fut.await {
                    Ok(v) => report.$field = Some(v),
                    Err(e) => {
                        eprintln!("mcpproxy-bench: {} failed: {e:#}", $name);
                        report.errors.insert($name.into(), format!("{e:#}"));
                    }
                }
            }
        };
    }
    section!(
        "latency",
        latency,
        latency::run(&bins, &p.latency, work.path())
    );
    section!(
        "search",
        search,
        search::run(
            &bins,
            &p.search_sizes,
            p.search_queries,
            p.index_builds,
            work.path()
        )
    );
    section!(
        "startup",
        startup,
        startup::run(&bins, p.startup_upstreams, p.startup_repeats)
    );
    section!(
        "memory",
        memory,
        memory::run(&bins, p.startup_upstreams, p.restart_cycles)
    );
    section!(
        "callgrind",
        callgrind,
        callgrind::run(&bins, p.callgrind_calls, &p.out)
    );
    report.machine.load_after = machine::load();
    Ok(report)
}

/// What the smoke run must show; an empty list means healthy.
fn smoke_problems(r: &report::Report) -> Vec<String> {
    let mut problems: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if let Some(l) = &r.latency {
        let targets: std::collections::HashSet<&str> =
            l.rows.iter().map(|r| r.target.as_str()).collect();
        for t in ["direct", "mcpproxy /mcp/all", "mcpproxy call_tool_read"] {
            if !targets.contains(t) {
                problems.push(format!("latency: no rows for {t}"));
            }
        }
        for row in l.rows.iter().filter(|r| r.errors > 0 || r.latency.n == 0) {
            problems.push(format!(
                "latency: {} {} c={}: {} errors ({:?})",
                row.transport, row.target, row.concurrency, row.errors, row.first_error
            ));
        }
    }
    if let Some(s) = &r.search {
        if s.sizes
            .iter()
            .any(|z| z.misses > 0 || z.retrieve_tools.n == 0)
        {
            problems.push("search: exact-name queries missed their tool".into());
        }
        if s.recall.queries < 100 {
            problems.push("search: retrieval set has fewer than 100 queries".into());
        }
    }
    if let Some(m) = &r.memory {
        if m.children_before != m.children_after || m.children_before == 0 {
            problems.push(format!(
                "memory: {} children before, {} after restarts",
                m.children_before, m.children_after
            ));
        }
    }
    if let Some(s) = &r.startup {
        if s.all_ready_many.n == 0 {
            problems.push("startup: no measurement".into());
        }
    }
    problems
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(pos) = args.iter().position(|a| a == "--hotpath-loop") {
        let n: usize = args
            .get(pos + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        let path = hotpath::HotPath::new(10, 20);
        assert_eq!(
            hotpath::response_text(&path.run_once(0)),
            "hello from the benchmark"
        );
        for i in 0..n {
            std::hint::black_box(path.run_once(i as i64));
        }
        return;
    }
    let p = match plan(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mcpproxy-bench: {e:#}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = match runtime.block_on(run(&p)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mcpproxy-bench: {e:#}");
            std::process::exit(1);
        }
    };
    if let Err(e) = report.write(&p.out) {
        eprintln!(
            "mcpproxy-bench: cannot write the report to {}: {e:#}",
            p.out.display()
        );
        std::process::exit(1);
    }
    println!("{}", report.markdown());
    println!("report: {}", p.out.join("report.md").display());
    if p.smoke {
        let problems = smoke_problems(&report);
        let _ = std::fs::remove_dir_all(&p.out);
        if !problems.is_empty() {
            eprintln!(
                "mcpproxy-bench smoke test failed:\n  {}",
                problems.join("\n  ")
            );
            std::process::exit(1);
        }
        println!("mcpproxy-bench smoke: 1 passed, 0 failed");
    }
}
