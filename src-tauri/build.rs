//! Build script. With the `desktop` feature it runs tauri-build for `mcpproxy-tray`
//! (reads `tauri.conf.json` and `src-tauri/capabilities/`); without it, it does nothing, so
//! `cargo build` needs no GUI libraries.

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/build.rs");
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
