//! Finding a stdio server's `command` the way the platform's shell would.
//!
//! Unix: a name with a `/` is a path; otherwise the first executable (any x bit) of that name in
//! `PATH`. Windows: `/` or `\` makes a path; a name without one of the `PATHEXT` extensions
//! (`.COM;.EXE;.BAT;.CMD`) is tried with each of them, so `npx` finds `npx.cmd` like `cmd.exe`
//! does. `PATH` comes from the server's `env` when it sets one, else from the core.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Find `command` (absolute/relative path, or a search of `PATH`).
pub fn resolve_command(command: &str, env: &[(String, String)]) -> Result<PathBuf, String> {
    let path_var = env
        .iter()
        .rev()
        .find(|(k, _)| is_path_var(k))
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    let rules = Rules::native();
    if rules.is_path(command) {
        return rules
            .candidates(Path::new(command))
            .into_iter()
            .find(|p| rules.runnable(p))
            .ok_or_else(|| format!("command `{command}` does not exist or is not executable"));
    }
    std::env::split_paths(&path_var)
        .flat_map(|dir| rules.candidates(&dir.join(command)))
        .find(|candidate| rules.runnable(candidate))
        .ok_or_else(|| {
            format!(
                "command `{command}` was not found in PATH; install it or give its full path in `command`"
            )
        })
}

/// `PATH` by name: case-insensitive on Windows (`Path` is the usual spelling there).
fn is_path_var(name: &str) -> bool {
    if cfg!(windows) {
        name.eq_ignore_ascii_case("PATH")
    } else {
        name == "PATH"
    }
}

/// How one platform recognises paths and runnable files.
struct Rules {
    /// Characters that make `command` a path rather than a name.
    separators: &'static [char],
    /// Extensions tried after a bare name (Windows `PATHEXT`); empty on Unix.
    extensions: Vec<String>,
}

impl Rules {
    #[cfg(unix)]
    fn native() -> Self {
        Self::unix()
    }

    #[cfg(windows)]
    fn native() -> Self {
        Self::windows(std::env::var("PATHEXT").ok().as_deref())
    }

    #[cfg(any(unix, test))]
    fn unix() -> Self {
        Self {
            separators: &['/'],
            extensions: Vec::new(),
        }
    }

    /// Windows rules for a `PATHEXT` value (its default when unset or empty).
    #[cfg(any(windows, test))]
    fn windows(pathext: Option<&str>) -> Self {
        let pathext = pathext
            .filter(|p| !p.trim().is_empty())
            .unwrap_or(".COM;.EXE;.BAT;.CMD");
        Self {
            separators: &['/', '\\'],
            extensions: pathext
                .split(';')
                .map(|e| e.trim().to_ascii_lowercase())
                .filter(|e| e.starts_with('.') && e.len() > 1)
                .collect(),
        }
    }

    fn is_path(&self, command: &str) -> bool {
        command.contains(self.separators)
    }

    /// Files `path` may name: itself when it already has a known extension (or on Unix),
    /// else itself with each extension appended.
    fn candidates(&self, path: &Path) -> Vec<PathBuf> {
        if self.extensions.is_empty() {
            return vec![path.to_path_buf()];
        }
        let has_known = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
            .is_some_and(|e| self.extensions.contains(&e));
        if has_known {
            return vec![path.to_path_buf()];
        }
        self.extensions
            .iter()
            .map(|ext| {
                let mut name = path.as_os_str().to_os_string();
                name.push(ext);
                PathBuf::from(name)
            })
            .collect()
    }

    /// A regular file that may be run: any x bit on Unix; on Windows the extension decided.
    fn runnable(&self, path: &Path) -> bool {
        if !path.is_file() {
            return false;
        }
        if !self.extensions.is_empty() {
            return true;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        }
        #[cfg(not(unix))]
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_rules_find_a_cmd_shim_for_a_bare_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("npx.cmd"), "@echo off\n").unwrap();
        std::fs::write(dir.path().join("npx"), "#!/bin/sh\n").unwrap(); // the POSIX script npm also ships
        let rules = Rules::windows(None);
        let found = rules
            .candidates(&dir.path().join("npx"))
            .into_iter()
            .find(|p| rules.runnable(p));
        assert_eq!(found, Some(dir.path().join("npx.cmd")));
    }

    #[test]
    fn windows_rules_keep_a_known_extension_and_honour_pathext() {
        let rules = Rules::windows(Some(".EXE;.PS1"));
        assert_eq!(
            rules.candidates(Path::new("node.EXE")),
            vec![PathBuf::from("node.EXE")]
        );
        assert_eq!(
            rules.candidates(Path::new("tool")),
            vec![PathBuf::from("tool.exe"), PathBuf::from("tool.ps1")]
        );
        assert!(rules.is_path(r"C:\tools\node.exe") && rules.is_path("./node"));
        assert!(!rules.is_path("node"));
    }

    #[cfg(unix)]
    #[test]
    fn unix_rules_need_an_executable_bit() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("server");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let rules = Rules::unix();
        assert!(!rules.runnable(&script));
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(rules.runnable(&script));
        assert!(!rules.is_path("server") && rules.is_path("./server"));
    }
}
