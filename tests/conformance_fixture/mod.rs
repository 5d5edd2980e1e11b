//! The conformance fixture server (example `conformance_server`) and the client
//! conformance driver (example `client_conformance`) for the passthrough and
//! conformance-suite tests.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// Path of example `name`, building the examples this module needs once.
pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--example",
                "conformance_server",
                "--example",
                "client_conformance",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build --example conformance_server --example client_conformance");
        assert!(status.success(), "building the conformance examples failed");
    });
    let target_dir = PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = target_dir.join("examples").join(name);
    assert!(path.exists(), "{} missing", path.display());
    path
}

/// The conformance fixture server binary.
pub fn conformance_bin() -> PathBuf {
    example_bin("conformance_server")
}

/// Config entry for the conformance fixture over stdio.
pub fn conformance_stdio(name: &str) -> Value {
    json!({"name": name, "protocol": "stdio", "command": conformance_bin(), "args": ["stdio"]})
}

/// The conformance fixture over Streamable HTTP on an ephemeral port; killed on drop.
pub struct HttpConformance {
    child: Child,
    pub url: String,
}

impl HttpConformance {
    pub fn start() -> Self {
        let mut child = Command::new(conformance_bin())
            .args(["http", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn conformance fixture");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("LISTENING ")
            .unwrap_or_else(|| panic!("unexpected fixture output: {line}"))
            .to_string();
        Self { child, url }
    }

    /// Config entry for this fixture as an HTTP upstream named `name`.
    pub fn config(&self, name: &str) -> Value {
        json!({"name": name, "protocol": "http", "url": self.url})
    }
}

impl Drop for HttpConformance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
