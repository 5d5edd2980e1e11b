#!/usr/bin/env bash
# Tests of the desktop app (`mcpproxy-tray`, feature `desktop`): clippy with the feature, the
# display-less shell test, and the WebDriver end-to-end test under Xvfb + D-Bus.
# Needs: libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
# libsoup-3.0-dev xvfb xauth dbus-x11 webkit2gtk-driver, and `cargo install tauri-driver --locked`
# (.ci/run installs them). Without them it says what is missing and skips, unless
# MCPPROXY_REQUIRE_DESKTOP=1 (CI), where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
pkg-config --exists webkit2gtk-4.1 2>/dev/null || missing+=(libwebkit2gtk-4.1-dev)
pkg-config --exists ayatana-appindicator3-0.1 2>/dev/null || missing+=(libayatana-appindicator3-dev)
command -v xvfb-run >/dev/null 2>&1 || missing+=(xvfb)
command -v dbus-run-session >/dev/null 2>&1 || missing+=(dbus)
command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
command -v tauri-driver >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/tauri-driver" ] || missing+=("tauri-driver (cargo install tauri-driver --locked)")
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${MCPPROXY_REQUIRE_DESKTOP:-0}" = 1 ]; then
    echo "desktop tests: missing ${missing[*]}" >&2
    exit 1
  fi
  echo "== desktop tests SKIPPED: missing ${missing[*]} (see docs/tray.md)"
  exit 0
fi

echo "== cargo clippy --features desktop"
cargo clippy --features desktop --all-targets -- -D warnings

echo "== desktop app tests (xvfb + dbus)"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x900x24" \
  cargo test --features desktop --test tray_webdriver -- --test-threads=1
