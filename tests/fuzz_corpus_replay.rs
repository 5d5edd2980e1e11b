//! Replays the committed cargo-fuzz corpora (`fuzz/corpus/<target>/`) through the same
//! target bodies the fuzzers run, on the stable toolchain: every seed and every past crash
//! input stays a regression test. Run the fuzzers themselves with `scripts/fuzz.sh`.

#[path = "../fuzz/src/config.rs"]
mod config;
#[path = "../fuzz/src/jsonrpc.rs"]
mod jsonrpc;
#[path = "../fuzz/src/merge_patch.rs"]
mod merge_patch;

use std::path::PathBuf;

/// Runs `body` over every file of `fuzz/corpus/<target>`; returns how many there were.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{target}: {} fails", file.display());
    }
    files.len()
}

#[test]
fn config_corpus_replays() {
    assert!(replay("config", config::run) >= 5);
}

#[test]
fn jsonrpc_corpus_replays() {
    assert!(replay("jsonrpc", jsonrpc::run) >= 5);
}

#[test]
fn merge_patch_corpus_replays() {
    assert!(replay("merge_patch", merge_patch::run) >= 5);
}

/// The jsonrpc seeds reach the catalog and truncation paths (rmcp's untagged result union
/// could otherwise take them for another result type and leave those paths unfuzzed).
#[test]
fn jsonrpc_seeds_reach_catalog_and_truncation() {
    use rmcp::model::{JsonRpcMessage, ServerResult};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/jsonrpc");
    let result_of = |file: &str| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut messages = mcpproxy::upstream::sse::parse_message_data(&text).unwrap();
        match messages.remove(0) {
            JsonRpcMessage::Response(response) => response.result,
            other => panic!("{file}: not a response: {other:?}"),
        }
    };
    assert!(matches!(
        result_of("tools-list-result.json"),
        ServerResult::ListToolsResult(_)
    ));
    assert!(matches!(
        result_of("call-result.json"),
        ServerResult::CallToolResult(_)
    ));
}
