//! Build script: embeds the web UI bundle (see `ui_bundle.rs`). With the `desktop` feature it
//! also runs tauri-build for `mcpproxy-tray` (reads `tauri.conf.json` and
//! `src-tauri/capabilities/`); without it, no GUI library is needed.
mod ui_bundle;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/build.rs");
    println!("cargo:rerun-if-changed=src-tauri/ui_bundle.rs");
    ui_bundle::prepare();
    if std::env::var_os("CARGO_FEATURE_DESKTOP").is_some() {
        desktop();
    }
}

#[cfg(feature = "desktop")]
fn desktop() {
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*");
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {err:#}");
    }
}

#[cfg(not(feature = "desktop"))]
fn desktop() {}
