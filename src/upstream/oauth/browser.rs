//! Showing the authorization page to the user: the system browser, a printed URL when there is
//! no browser (`NO_BROWSER=1`, no display), or — for headless test clients — following the
//! authorization server's redirect ourselves.

use std::time::Duration;

/// How the authorization URL reaches the user.
#[derive(Debug, Clone)]
pub enum Browser {
    /// `$BROWSER` when set, else the platform opener (`xdg-open`, `open`, `start`).
    System,
    /// Only print the URL (log and status) for the user to open.
    Print,
    /// GET the URL and follow its redirects up to the loopback callback (no user involved).
    FollowRedirects,
}

/// What [`Browser::open`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Opened {
    /// A browser process was started.
    Launched,
    /// The URL was printed for the user.
    Printed,
    /// The redirects are being followed in the background.
    Followed,
}

fn env_flag(name: &str) -> bool {
    std::env::var(name)
        .map(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
        .unwrap_or(false)
}

impl Browser {
    /// `Print` with `NO_BROWSER=1` or without a display (Linux/BSD), else `System`.
    pub fn from_env() -> Self {
        if env_flag("NO_BROWSER") {
            return Browser::Print;
        }
        let has_browser_var = std::env::var("BROWSER").is_ok_and(|v| !v.trim().is_empty());
        if cfg!(any(target_os = "macos", windows)) || has_browser_var {
            return Browser::System;
        }
        let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty()));
        if has_display {
            Browser::System
        } else {
            Browser::Print
        }
    }

    /// Show `url` for the login of `server`; `callback` is the loopback redirect URI prefix.
    pub fn open(&self, server: &str, url: &str, callback: &str) -> Opened {
        match self {
            Browser::Print => {
                print_url(server, url);
                Opened::Printed
            }
            Browser::System => match launch(url) {
                Ok(program) => {
                    tracing::info!(server, %program, "opened the browser for OAuth login");
                    Opened::Launched
                }
                Err(err) => {
                    tracing::warn!(server, error = %err, "cannot start a browser");
                    print_url(server, url);
                    Opened::Printed
                }
            },
            Browser::FollowRedirects => {
                let (url, callback) = (url.to_string(), callback.to_string());
                tokio::spawn(async move {
                    if let Err(err) = follow(&url, &callback).await {
                        tracing::warn!(error = %err, "following the authorization redirect failed");
                    }
                });
                Opened::Followed
            }
        }
    }
}

fn print_url(server: &str, url: &str) {
    tracing::warn!(
        server,
        "OAuth login required: open this URL in a browser: {url}"
    );
}

/// Start the browser without waiting for it (the child is reaped in the background).
fn launch(url: &str) -> std::io::Result<String> {
    let (program, args) = browser_command(url)?;
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn()?;
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(program)
}

fn browser_command(url: &str) -> std::io::Result<(String, Vec<String>)> {
    if let Ok(spec) = std::env::var("BROWSER") {
        // Conventional format: commands separated by ':'; `%s` stands for the URL.
        if let Some(first) = spec.split(':').map(str::trim).find(|s| !s.is_empty()) {
            let mut parts = first.split_whitespace().map(str::to_string);
            let program = parts.next().unwrap_or_default();
            let mut args: Vec<String> = parts.collect();
            if args.iter().any(|a| a.contains("%s")) {
                args = args.into_iter().map(|a| a.replace("%s", url)).collect();
            } else {
                args.push(url.to_string());
            }
            return Ok((program, args));
        }
    }
    if cfg!(target_os = "macos") {
        Ok(("open".into(), vec![url.into()]))
    } else if cfg!(windows) {
        Ok((
            "rundll32".into(),
            vec!["url.dll,FileProtocolHandler".into(), url.into()],
        ))
    } else {
        Ok(("xdg-open".into(), vec![url.into()]))
    }
}

/// GET `url`, following `Location` headers until one points at `callback`, then GET that.
async fn follow(url: &str, callback: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let mut next = url::Url::parse(url).map_err(|e| e.to_string())?;
    for _ in 0..10 {
        let response = client
            .get(next.clone())
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if next.as_str().starts_with(callback) {
            return Ok(());
        }
        let Some(location) = response.headers().get(http::header::LOCATION) else {
            return Err(format!(
                "authorization page answered {} without a redirect",
                response.status()
            ));
        };
        let location = location.to_str().map_err(|e| e.to_string())?;
        next = next.join(location).map_err(|e| e.to_string())?;
    }
    Err("too many redirects".into())
}
