//! Open a URL or folder with the desktop's default application.

use std::process::{Command, Stdio};

/// Hand `target` (URL or path) to the platform opener; returns once it was launched.
pub fn open(target: &str) -> std::io::Result<()> {
    #[cfg(target_os = "macos")]
    let mut command = Command::new("open");
    #[cfg(target_os = "windows")]
    let mut command = Command::new("explorer");
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let mut command = Command::new("xdg-open");
    let mut child = command
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Reap the opener in the background so it never lingers as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}
