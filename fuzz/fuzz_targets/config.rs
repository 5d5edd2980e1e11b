#![no_main]
//! cargo-fuzz target; the body is `mcpproxy_fuzz::config::run` (also replayed by tests/fuzz_corpus_replay.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcpproxy_fuzz::config::run(data));
