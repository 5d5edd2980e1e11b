//! Bodies of the cargo-fuzz targets. Each `run(&[u8])` must never panic on any input; the
//! same functions replay the committed corpora in the ordinary test suite
//! (`tests/fuzz_corpus_replay.rs`), so they only use crates mcpproxy's tests also have.

pub mod config;
pub mod jsonrpc;
pub mod merge_patch;
