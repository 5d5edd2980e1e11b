//! Build script: runs tauri-build only for the `desktop` feature (none yet).
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/build.rs");
}
