//! The machine and its load, so every report says what it was measured on.

use serde::Serialize;
use std::process::Command;

/// What the numbers were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Total memory (MiB).
    pub memory_mib: u64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// Build profile of the binaries under test.
    pub profile: &'static str,
    /// `git rev-parse --short HEAD` (+ `-dirty`).
    pub commit: String,
    /// 1/5/15-minute load averages when the run started.
    pub load_before: String,
    /// … when it ended.
    pub load_after: String,
    /// UTC start time (RFC 3339).
    pub started: String,
}

fn run(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Current 1/5/15-minute load averages.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Describe this machine now.
pub fn describe() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let memory_mib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024;
    let dirty = !run("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    Machine {
        cpu,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib,
        kernel: run("uname", &["-r"]),
        rustc: run("rustc", &["--version"]),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        commit: format!(
            "{}{}",
            run("git", &["rev-parse", "--short", "HEAD"]),
            if dirty { "-dirty" } else { "" }
        ),
        load_before: load(),
        load_after: String::new(),
        started: run("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
    }
}
