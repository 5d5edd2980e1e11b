//! Build script: embeds the web UI bundle (see `ui_bundle.rs`); runs tauri-build only for the
//! `desktop` feature (none yet).
mod ui_bundle;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/build.rs");
    println!("cargo:rerun-if-changed=src-tauri/ui_bundle.rs");
    ui_bundle::prepare();
}
