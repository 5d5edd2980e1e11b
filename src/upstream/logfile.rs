//! Per-server log file (`<data_dir>/logs/server-<name>.log`) with a small in-memory tail.

use super::logstream::LogBus;
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
    /// Secret values replaced by their mask before a line is stored.
    secrets: Vec<String>,
    /// Where every (scrubbed) line is also published live, with the server name.
    live: Option<(LogBus, Arc<str>)>,
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
                secrets: Vec::new(),
                live: None,
            })),
        }
    }

    /// Also publish every later line (after secret scrubbing) on `bus` as `server`'s.
    pub fn publish_to(self, bus: &LogBus, server: &str) -> Self {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).live =
            Some((bus.clone(), Arc::from(server)));
        self
    }

    /// Record a line the server wrote to stderr.
    pub fn stderr_line(&self, line: &str) {
        self.write("stderr", line);
    }

    /// Record the kept start of an overlong stderr line (the rest was discarded). A secret
    /// split by the cut is masked as well: its kept part is replaced by `••••`.
    pub fn stderr_line_cut(&self, head: &str) {
        self.write_scrubbed("stderr", head, true);
    }

    /// Record an event of the proxy about this server.
    pub fn event(&self, line: &str) {
        self.write("proxy", line);
    }

    /// Values to mask in every later line (e.g. the server's secret headers and env).
    /// Values shorter than 5 characters are ignored (too likely to match ordinary text).
    pub fn set_secrets(&self, secrets: impl IntoIterator<Item = String>) {
        let mut values: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.chars().count() >= 5)
            .collect();
        // Longest first, so a secret containing another is masked whole.
        values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        values.dedup();
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).secrets = values;
    }

    /// The secret values this log scrubs (configured literals and resolved references).
    pub fn secrets(&self) -> Vec<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .secrets
            .clone()
    }

    /// `text` with every secret this log knows replaced by its mask (for errors shown elsewhere).
    pub fn scrub(&self, text: &str) -> String {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for secret in &inner.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), &crate::secrets::mask_value(secret));
            }
        }
        out
    }

    fn write(&self, source: &str, line: &str) {
        self.write_scrubbed(source, line, false);
    }

    fn write_scrubbed(&self, source: &str, line: &str, cut: bool) {
        let stamp = humantime::format_rfc3339_millis(std::time::SystemTime::now());
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut line = line.to_string();
        for secret in &inner.secrets {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), &crate::secrets::mask_value(secret));
            }
        }
        if cut {
            crate::secrets::scrub::mask_cut_secret(&mut line, &inner.secrets);
            line.push_str(&format!(
                " … (line cut at {} bytes)",
                super::stderr_lines::MAX_STDERR_LINE
            ));
        }
        let entry = format!("{stamp} [{source}] {line}");
        if let Some(file) = inner.file.as_mut() {
            let _ = writeln!(file, "{entry}");
        }
        if inner.tail.len() == TAIL_LINES {
            inner.tail.pop_front();
        }
        if let Some((bus, server)) = &inner.live {
            bus.publish(server, &entry, &stamp.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_in_file_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.log");
        let log = ServerLog::open(&path);
        log.set_secrets(["tok-1234567890".to_string(), "abc".to_string()]);
        log.stderr_line("using token tok-1234567890 and abc");
        let tail = log.tail(1).join("");
        assert!(tail.contains("••••90 (14 chars)"), "{tail}");
        assert!(
            tail.contains("and abc"),
            "short values are not scrubbed: {tail}"
        );
        let file = std::fs::read_to_string(&path).unwrap();
        assert!(!file.contains("tok-1234567890"), "{file}");
    }

    #[test]
    fn a_secret_split_by_a_cut_line_is_masked() {
        let dir = tempfile::tempdir().unwrap();
        let log = ServerLog::open(&dir.path().join("s.log"));
        log.set_secrets(["tok-1234567890".to_string()]);
        log.stderr_line_cut("xxxx token tok-12345");
        let line = log.tail(1).join("");
        assert!(
            line.contains("[stderr] xxxx token •••• … (line cut at 65536 bytes)"),
            "{line}"
        );
        assert!(!line.contains("tok-1"), "{line}");
        log.stderr_line_cut("no secret here");
        assert!(log.tail(1)[0].contains("no secret here … (line cut"));
    }

    #[tokio::test]
    async fn published_lines_are_scrubbed_and_match_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.log");
        let bus = LogBus::default();
        let mut rx = bus.subscribe();
        let log = ServerLog::open(&path).publish_to(&bus, "srv");
        log.set_secrets(["tok-1234567890".to_string()]);
        log.stderr_line("using token tok-1234567890");
        log.event("connected");
        let first = rx.recv().await.unwrap();
        assert_eq!(&*first.server, "srv");
        assert!(!first.line.contains("tok-1234567890"), "{first:?}");
        assert!(
            first.line.contains("[stderr] using token ••••90"),
            "{first:?}"
        );
        assert!(first.line.starts_with(&first.ts), "{first:?}");
        let second = rx.recv().await.unwrap();
        assert!(second.line.ends_with("[proxy] connected"), "{second:?}");
        assert_eq!(log.tail(2), vec![first.line, second.line]);
    }
}
