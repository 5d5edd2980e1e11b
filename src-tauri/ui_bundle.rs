//! Build step for the web UI bundle (`ui/dist`), embedded by `src/api/ui.rs`.
//!
//! * `ui/dist` is fresh when its stamp (`ui/dist/.source-hash`) matches a hash of the UI
//!   sources, or, without a stamp (built by hand with `npm run build`), when it is newer than
//!   every source file. A fresh bundle is embedded as it is: npm is never run.
//! * Otherwise, when npm is available (and `MCPPROXY_SKIP_UI_BUILD` is not set), runs
//!   `npm ci` (only if `node_modules` is missing or older than the lock file) and
//!   `npm run build`, then writes the stamp.
//! * If that is impossible, embeds the stale bundle, or a small page explaining how to build
//!   the UI, and emits a cargo warning. The core builds and runs either way.
//!
//! Copies the bundle to `$OUT_DIR/ui-bundle` and writes `$OUT_DIR/ui_assets.rs`:
//! `UI_ASSETS: &[(&str, &[u8])]` (`include_bytes!` of the copies) and `UI_BUILT: bool`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// Files and directories (relative to `ui/`) that the bundle is built from.
const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "svelte.config.js",
    "tsconfig.json",
];
const STAMP: &str = ".source-hash";

/// Prepare the bundle and generate `$OUT_DIR/ui_assets.rs`.
pub fn prepare() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let ui = manifest.join("ui");
    let dist = ui.join("dist");
    println!("cargo:rerun-if-env-changed=MCPPROXY_SKIP_UI_BUILD");
    println!("cargo:rerun-if-env-changed=MCPPROXY_NPM");
    for source in SOURCES {
        if ui.join(source).exists() {
            println!("cargo:rerun-if-changed=ui/{source}");
        }
    }
    let files = source_files(&ui);
    let hash = format!("{:016x}", fnv1a(&ui, &files));
    let bundle = match freshness(&ui, &dist, &files, &hash) {
        Fresh::Yes => Some(dist.clone()),
        Fresh::No(why) => match build(&ui, &dist, &hash) {
            Ok(()) => Some(dist.clone()),
            Err(problem) if dist.join("index.html").is_file() => {
                warn(&format!("the web UI bundle ui/dist is stale ({why}) and was not rebuilt: {problem}. Embedding it anyway; run `npm ci && npm run build` in ui/ to update it"));
                watch_dist(&dist);
                Some(dist.clone())
            }
            Err(problem) => {
                warn(&format!("the web UI is not built ({problem}); /ui/ shows how to build it. Install Node.js 20.19+ and npm, then rebuild, or run `npm ci && npm run build` in ui/"));
                watch_dist(&dist);
                None
            }
        },
    };
    // Embed a copy in OUT_DIR: deleting or rebuilding ui/dist later never breaks compilation.
    let copy = out.join("ui-bundle");
    let _ = fs::remove_dir_all(&copy);
    fs::create_dir_all(&copy).expect("create OUT_DIR/ui-bundle");
    match &bundle {
        Some(dir) => copy_files(dir, &copy),
        None => write_if_changed(&copy.join("index.html"), FALLBACK_PAGE.as_bytes()),
    }
    let generated = assets_source(&copy, bundle.is_some());
    write_if_changed(&out.join("ui_assets.rs"), generated.as_bytes());
}

enum Fresh {
    Yes,
    No(&'static str),
}

fn freshness(ui: &Path, dist: &Path, files: &[PathBuf], hash: &str) -> Fresh {
    if files.is_empty() {
        return Fresh::No("no UI sources");
    }
    let index = dist.join("index.html");
    if !index.is_file() {
        return Fresh::No("not built");
    }
    match fs::read_to_string(dist.join(STAMP)) {
        Ok(stamp) if stamp.trim() == hash => Fresh::Yes,
        Ok(_) => Fresh::No("the sources changed"),
        Err(_) => {
            // Built by hand: adopt it if it is newer than every source.
            let built = mtime(&index);
            let newest = files.iter().filter_map(|f| mtime(&ui.join(f))).max();
            if built.is_some() && newest.is_some() && built >= newest {
                write_if_changed(&dist.join(STAMP), hash.as_bytes());
                Fresh::Yes
            } else {
                Fresh::No("older than its sources")
            }
        }
    }
}

fn build(ui: &Path, dist: &Path, hash: &str) -> Result<(), String> {
    if std::env::var_os("MCPPROXY_SKIP_UI_BUILD").is_some_and(|v| !v.is_empty() && v != "0") {
        return Err("MCPPROXY_SKIP_UI_BUILD is set".into());
    }
    if !ui.join("package.json").is_file() {
        return Err("ui/package.json is missing".into());
    }
    let npm = std::env::var("MCPPROXY_NPM")
        .unwrap_or_else(|_| if cfg!(windows) { "npm.cmd" } else { "npm" }.into());
    let available = Command::new(&npm)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return Err(format!(
            "`{npm}` is not available (not on PATH, or `{npm} --version` failed)"
        ));
    }
    let lock = mtime(&ui.join("package-lock.json"));
    let installed = mtime(&ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < lock {
        run(&npm, &["ci", "--no-audit", "--no-fund"], ui)?;
    }
    run(&npm, &["run", "build"], ui)?;
    if !dist.join("index.html").is_file() {
        return Err("`npm run build` did not produce ui/dist/index.html".into());
    }
    write_if_changed(&dist.join(STAMP), hash.as_bytes());
    Ok(())
}

fn run(npm: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    let output = Command::new(npm)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("`{npm} {}` could not start: {e}", args.join(" ")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "`{npm} {}` failed ({}): {}",
        args.join(" "),
        output.status,
        tail.join(" | ")
    ))
}

/// While the bundle is missing or stale, rebuild when it appears or changes.
fn watch_dist(dist: &Path) {
    let _ = fs::create_dir_all(dist);
    println!("cargo:rerun-if-changed=ui/dist");
}

fn warn(message: &str) {
    println!("cargo:warning={message}");
}

fn mtime(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Source files relative to `ui/`, sorted.
fn source_files(ui: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for source in SOURCES {
        collect(ui, Path::new(source), &mut files);
    }
    files.sort();
    files
}

fn collect(root: &Path, rel: &Path, files: &mut Vec<PathBuf>) {
    let path = root.join(rel);
    if path.is_file() {
        // Unit tests are not part of the bundle.
        if !rel.to_string_lossy().ends_with(".test.ts") {
            files.push(rel.to_path_buf());
        }
    } else if let Ok(entries) = fs::read_dir(&path) {
        for entry in entries.flatten() {
            collect(root, &rel.join(entry.file_name()), files);
        }
    }
}

/// FNV-1a over every source file's path and content (stable across Rust versions).
fn fnv1a(root: &Path, files: &[PathBuf]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for file in files {
        feed(file.to_string_lossy().replace('\\', "/").as_bytes());
        feed(&[0]);
        feed(&fs::read(root.join(file)).unwrap_or_default());
        feed(&[0xff]);
    }
    hash
}

fn copy_files(from: &Path, to: &Path) {
    let mut files = Vec::new();
    collect(from, Path::new(""), &mut files);
    for file in files.iter().filter(|f| !f.ends_with(STAMP)) {
        let target = to.join(file);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).expect("create a directory in OUT_DIR/ui-bundle");
        }
        fs::copy(from.join(file), &target)
            .unwrap_or_else(|e| panic!("cannot copy {} into OUT_DIR: {e}", file.display()));
    }
}

fn assets_source(dir: &Path, built: bool) -> String {
    let mut files = Vec::new();
    collect(dir, Path::new(""), &mut files);
    files.retain(|f| !f.to_string_lossy().ends_with(STAMP));
    files.sort();
    let mut source = String::from("// Generated by src-tauri/ui_bundle.rs.\n");
    source.push_str(&format!("pub const UI_BUILT: bool = {built};\n"));
    source.push_str("pub static UI_ASSETS: &[(&str, &[u8])] = &[\n");
    for file in files {
        let name = file.to_string_lossy().replace('\\', "/");
        let absolute = dir.join(&file);
        source.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            absolute.to_string_lossy()
        ));
    }
    source.push_str("];\n");
    source
}

fn write_if_changed(path: &Path, content: &[u8]) {
    if fs::read(path).ok().as_deref() != Some(content) {
        fs::write(path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

const FALLBACK_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCPProxy – web UI not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f0f2f5;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem}</style>
</head><body>
<h1>The web UI is not built</h1>
<p>This MCPProxy was compiled without its web UI bundle because Node.js/npm was not available
(or the build failed; see the cargo warnings). The proxy, the REST API and the CLI work as usual.</p>
<p>To get the UI, install Node.js 20.19 or newer with npm, then rebuild:</p>
<pre>cd ui &amp;&amp; npm ci &amp;&amp; npm run build &amp;&amp; cd .. &amp;&amp; cargo build</pre>
<p>(<code>cargo build</code> alone also builds the UI once npm is on the <code>PATH</code>.)</p>
</body></html>
"#;
