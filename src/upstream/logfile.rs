//! Per-server log file (`<data_dir>/logs/server-<name>.log`) with a small in-memory tail.

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const TAIL_LINES: usize = 200;

/// Append-only log for one upstream server; cheap to clone.
#[derive(Clone, Debug)]
pub struct ServerLog {
    inner: Arc<Mutex<LogInner>>,
}

#[derive(Debug)]
struct LogInner {
    path: PathBuf,
    file: Option<std::fs::File>,
    tail: VecDeque<String>,
}

impl ServerLog {
    /// Open (append) the log at `path`, creating parent directories.
    pub fn open(path: &Path) -> Self {
        if let Some(parent) = path.parent() {
            let _ = crate::config::ensure_private_dir(parent);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|err| tracing::warn!(path = %path.display(), %err, "cannot open server log"))
            .ok();
        Self {
            inner: Arc::new(Mutex::new(LogInner {
                path: path.to_path_buf(),
                file,
                tail: VecDeque::new(),
            })),
        }
    }

    /// Record a line the server wrote to stderr.
    pub fn stderr_line(&self, line: &str) {
        self.write("stderr", line);
    }

    /// Record an event of the proxy about this server.
    pub fn event(&self, line: &str) {
        self.write("proxy", line);
    }

    fn write(&self, source: &str, line: &str) {
        let stamp = humantime::format_rfc3339_millis(std::time::SystemTime::now());
        let entry = format!("{stamp} [{source}] {line}");
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(file) = inner.file.as_mut() {
            let _ = writeln!(file, "{entry}");
        }
        if inner.tail.len() == TAIL_LINES {
            inner.tail.pop_front();
        }
        inner.tail.push_back(entry);
    }

    /// The last `n` lines (oldest first).
    pub fn tail(&self, n: usize) -> Vec<String> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let skip = inner.tail.len().saturating_sub(n);
        inner.tail.iter().skip(skip).cloned().collect()
    }

    /// The last stderr line, to explain a failed start.
    pub fn last_stderr(&self) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .tail
            .iter()
            .rev()
            .find(|l| l.contains("[stderr] "))
            .and_then(|l| l.split_once("[stderr] ").map(|(_, rest)| rest.to_string()))
    }

    /// Where the log is written.
    pub fn path(&self) -> PathBuf {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .path
            .clone()
    }
}
