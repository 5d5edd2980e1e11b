//! WebDriver end-to-end test of `mcpproxy-tray` (needs the `desktop` feature, a display and a
//! D-Bus session: `dbus-run-session -- xvfb-run -a cargo test --features desktop --test
//! tray_webdriver`, plus `WebKitWebDriver` (webkit2gtk-driver) and `tauri-driver` on PATH).
//!
//! tauri-driver launches the real app with `--edit hx`, which opens the Headers & Environment
//! editor window of the HTTP fixture upstream `hx`; the test drives that window like a person,
//! then checks the config file and what the upstream receives. Screenshots go to
//! `target/tray-e2e/`.

mod common;

use common::{connect, obj, text, wait_for, HttpFixture};
use fantoccini::{Client, ClientBuilder, Locator};
use rmcp::model::CallToolRequestParams;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
/// Keyring entry the test creates (in the throwaway Secret Service of the test session).
const SECRET_NAME: &str = "tray_e2e_x_tray_test";

fn tray_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mcpproxy-tray"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where screenshots are saved (kept after the test).
fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tray-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tauri_driver_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return path.into();
    }
    let installed = dirs::home_dir()
        .unwrap_or_default()
        .join(".cargo/bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// tauri-driver on free ports; stopped with SIGTERM on drop (SIGKILL would leave
/// WebKitWebDriver and the app running).
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Self {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run under `xvfb-run -a` (see docs/tray.md)"
        );
        let (port, native) = (free_port(), free_port());
        let child = Command::new(tauri_driver_bin())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn tauri-driver (cargo install tauri-driver --locked)");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_for("tauri-driver to listen", WAIT, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        driver
    }

    /// Launch the tray app with `args` and attach to its first window.
    async fn session(&self, args: &[String]) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": tray_bin(), "args": args }),
        );
        caps.insert("browserName".into(), json!("wry"));
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("WebDriver session with mcpproxy-tray")
    }

    /// The app on `config_path`, opened with the Headers & Env window of `server` (`--edit`).
    async fn editor_session(&self, config_path: &Path, server: &str) -> Client {
        self.session(&[
            "--config".into(),
            config_path.display().to_string(),
            "--edit".into(),
            server.into(),
        ])
        .await
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

/// A config with the HTTP fixture `hx` on a free port; returns (dir, config path, listen).
fn config_with_fixture(fixture: &HttpFixture) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let path = dir.path().join("mcp_config.json");
    let config = json!({
        "listen": listen,
        "mcpServers": [{"name": "hx", "protocol": "http", "url": fixture.url, "quarantined": false}],
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    (dir, path, listen)
}

fn read_config(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Wait (up to `WAIT`) for the element matching `css`; `what` names it in the failure.
async fn wait_css(client: &Client, css: &str, what: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{what} ({css}): {err}"))
}

async fn save_screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    let path = output_dir().join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

/// The editor window opens on the web UI's config route of the server, signed in, served by
/// the core running inside the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_window_shows_the_servers_config_page_from_the_in_process_core() {
    let fixture = HttpFixture::start("hx");
    let (_dir, config_path, listen) = config_with_fixture(&fixture);
    let driver = Driver::start().await;
    let client = driver.editor_session(&config_path, "hx").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.host_str(), Some("127.0.0.1"));
    assert_eq!(
        format!("127.0.0.1:{}", url.port().unwrap()),
        listen,
        "editor served by the app's core"
    );
    assert_eq!(url.path(), "/ui/");
    assert_eq!(url.fragment(), Some("/servers/hx/config?embed=1"));
    // Embedded mode: the server's cards, without the UI's navigation.
    wait_css(
        &client,
        r#"section.kv[data-scope="headers"]"#,
        "headers card",
    )
    .await;
    client
        .find(Locator::Css(r#"section.kv[data-scope="env"]"#))
        .await
        .expect("env card");
    let nav = client
        .find_all(Locator::Css(r#"nav[aria-label="Main"]"#))
        .await
        .unwrap();
    assert!(nav.is_empty(), "the editor window shows no main navigation");
    // The in-process core answers MCP while the window is open.
    let (mcp, _) = connect(&format!("http://{listen}/mcp")).await;
    let tools = mcp.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "retrieve_tools"));
    let _ = mcp.cancel().await;
    save_screenshot(&client, "editor-window.png").await;
    client.close().await.unwrap();
}

/// Add a header in the editor window, then convert it to a keyring secret; the config file
/// and the upstream see each step. Needs a Secret Service (scripts/test-desktop.sh starts
/// gnome-keyring in the test's D-Bus session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_added_and_converted_to_a_secret_in_the_editor_reaches_config_and_upstream() {
    let fixture = HttpFixture::start("hx");
    let (_dir, config_path, listen) = config_with_fixture(&fixture);
    let driver = Driver::start().await;
    let client = driver.editor_session(&config_path, "hx").await;
    let card = r#"section.kv[data-scope="headers"]"#;
    wait_css(&client, card, "the Headers card in the editor window").await;
    client
        .find(Locator::XPath(
            r#"//section[@data-scope="headers"]//button[contains(., "Add header")]"#,
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let form = wait_css(&client, &format!("{card} form.add"), "the add-header form").await;
    form.find(Locator::Css(r#"input[aria-label="New header name"]"#))
        .await
        .unwrap()
        .send_keys("X-Tray-Test")
        .await
        .unwrap();
    form.find(Locator::Css(r#"input[aria-label="New header value"]"#))
        .await
        .unwrap()
        .send_keys("from-the-tray")
        .await
        .unwrap();
    form.find(Locator::Css(r#"button[type="submit"]"#))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(
        &client,
        &format!(r#"{card} li[data-key="X-Tray-Test"]"#),
        "the new header listed in the card",
    )
    .await;

    wait_for("the header in the config file", WAIT, || async {
        (read_config(&config_path)["mcpServers"][0]["headers"]["X-Tray-Test"]
            == json!("from-the-tray"))
        .then_some(())
    })
    .await;
    upstream_sees(&listen, "from-the-tray").await;
    save_screenshot(&client, "editor-header-added.png").await;

    // Convert it to a keyring secret: the config keeps only the reference, the upstream still
    // gets the value.
    let row = format!(r#"{card} li[data-key="X-Tray-Test"]"#);
    client
        .find(Locator::Css(&format!(
            r#"{row} button[aria-label="Convert X-Tray-Test to secret"]"#
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let secret_name = wait_css(
        &client,
        r#"#convert-form input[name="secret_name"]"#,
        "the convert-to-secret dialog",
    )
    .await;
    secret_name.clear().await.unwrap();
    secret_name.send_keys(SECRET_NAME).await.unwrap();
    client
        .find(Locator::Css(
            r#"button[type="submit"][form="convert-form"]"#,
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(
        &client,
        &format!(r#"{row} [data-kind="keyring"][data-secret="{SECRET_NAME}"]"#),
        "the keyring chip in place of the value",
    )
    .await;
    let reference = format!("${{keyring:{SECRET_NAME}}}");
    wait_for("the reference in the config file", WAIT, || async {
        (read_config(&config_path)["mcpServers"][0]["headers"]["X-Tray-Test"] == json!(reference))
            .then_some(())
    })
    .await;
    assert!(
        !std::fs::read_to_string(&config_path)
            .unwrap()
            .contains("from-the-tray"),
        "the secret value is still in the config file"
    );
    upstream_sees(&listen, "from-the-tray").await;
    save_screenshot(&client, "editor-header-secret.png").await;
    client.close().await.unwrap();
}

/// Wait until the upstream `hx` receives `X-Tray-Test: expected` (it reconnects after each
/// change; a fresh client per attempt via /mcp/all).
async fn upstream_sees(listen: &str, expected: &str) {
    wait_for("the upstream to receive the header", WAIT, || async {
        let (mcp, _) = connect(&format!("http://{listen}/mcp/all")).await;
        let params = CallToolRequestParams::new("hx__get_header")
            .with_arguments(obj(json!({"name": "x-tray-test"})));
        let result = mcp.peer().call_tool(params).await;
        let _ = mcp.cancel().await;
        result.ok().filter(|r| text(r) == expected).map(|_| ())
    })
    .await;
}

/// The real app under a display: its core serves MCP and REST, and SIGTERM (as at logout)
/// shuts it down gracefully: the process exits and every upstream process is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_app_and_every_upstream_process() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run under `xvfb-run -a` (see docs/tray.md)"
    );
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("fx.pids");
    let listen = format!("127.0.0.1:{}", free_port());
    let config_path = dir.path().join("mcp_config.json");
    let config = json!({
        "listen": listen,
        "mcpServers": [{
            "name": "fx",
            "protocol": "stdio",
            "command": common::fixture_bin(),
            "args": ["stdio", "--name", "fx", "--spawn-grandchild", pidfile],
            "quarantined": false,
        }],
    });
    std::fs::write(&config_path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    let mut app = Command::new(tray_bin())
        .args(["--config", &config_path.display().to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("start mcpproxy-tray");
    let pids = wait_for("the fixture's process tree", WAIT, || async {
        let pids = common::read_pids(&pidfile);
        (pids.len() >= 3 && pids.iter().all(|&p| common::alive(p))).then_some(pids)
    })
    .await;
    let key = read_config(&config_path)["api_key"]
        .as_str()
        .expect("api_key generated")
        .to_string();
    let http = reqwest::Client::new();
    let status = http
        .get(format!("http://{listen}/api/v1/status"))
        .header("X-API-Key", key)
        .send()
        .await
        .expect("REST answers")
        .status();
    assert_eq!(status, 200);
    // Quit normally happens with the servers up: wait until fx is connected. (A stop during
    // the MCP handshake leaves the process to the shim, which kills it once the app is gone.)
    wait_for("the upstream to be ready", WAIT, || async {
        let ready = http
            .get(format!("http://{listen}/api/v1/readyz"))
            .send()
            .await
            .ok()?;
        (ready.status() == 200).then_some(())
    })
    .await;

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(app.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let exit = wait_for("the app to exit", WAIT, || {
        let exited = app.try_wait().unwrap();
        async move { exited }
    })
    .await;
    assert!(exit.success(), "app exit status: {exit}");
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| common::alive(p)).collect();
    assert!(
        survivors.is_empty(),
        "upstream processes survived: {survivors:?}"
    );
}
