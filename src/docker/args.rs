//! `extra_args`: the supported subset of `docker run` options, mapped onto the container config.

use bollard::models::{ContainerCreateBody, HostConfig};

/// Options understood in `extra_args` (shown in error messages).
pub const SUPPORTED: &str = "-e/--env K=V, -v/--volume SRC:DST[:ro], --tmpfs PATH[:OPTS], --cap-add, --cap-drop, --security-opt, --read-only, -u/--user, -w/--workdir, --pids-limit N, --add-host HOST:IP, --dns IP, --shm-size SIZE";

/// Container settings collected from `extra_args`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtraArgs {
    /// `K=V` environment entries.
    pub env: Vec<String>,
    /// Bind mounts.
    pub binds: Vec<String>,
    /// tmpfs mounts: path → options.
    pub tmpfs: Vec<(String, String)>,
    /// Added capabilities.
    pub cap_add: Vec<String>,
    /// Dropped capabilities.
    pub cap_drop: Vec<String>,
    /// Security options.
    pub security_opt: Vec<String>,
    /// Read-only root filesystem.
    pub read_only: bool,
    /// User (name or uid[:gid]).
    pub user: Option<String>,
    /// Working directory.
    pub workdir: Option<String>,
    /// Maximum number of processes.
    pub pids_limit: Option<i64>,
    /// `/etc/hosts` entries.
    pub add_host: Vec<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// Size of /dev/shm in bytes.
    pub shm_size: Option<i64>,
}

/// Why an entry of `extra_args` was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgError {
    /// Index of the offending entry.
    pub index: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// Parse a list of options; later lists (per-server) are applied with [`ExtraArgs::merge`].
pub fn parse(args: &[String]) -> Result<ExtraArgs, ArgError> {
    let mut out = ExtraArgs::default();
    let mut i = 0;
    while i < args.len() {
        let index = i;
        let raw = args[i].as_str();
        let err = |message: String, fix: &str| ArgError {
            index,
            message,
            fix: fix.to_string(),
        };
        let (flag, inline) = match raw.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (raw, None),
        };
        if flag == "--read-only" {
            if inline.as_deref().is_some_and(|v| v != "true") {
                return Err(err(
                    format!("`{raw}`: only --read-only (true) is supported"),
                    "write \"--read-only\"",
                ));
            }
            out.read_only = true;
            i += 1;
            continue;
        }
        let takes_value = matches!(
            flag,
            "-e" | "--env"
                | "-v"
                | "--volume"
                | "--tmpfs"
                | "--cap-add"
                | "--cap-drop"
                | "--security-opt"
                | "-u"
                | "--user"
                | "-w"
                | "--workdir"
                | "--pids-limit"
                | "--add-host"
                | "--dns"
                | "--shm-size"
        );
        if !takes_value {
            let fix = match flag {
                "-m" | "--memory" => "use docker_isolation.memory_limit".to_string(),
                "--cpus" => "use docker_isolation.cpu_limit".to_string(),
                "--network" | "--net" => "use isolation.network_mode".to_string(),
                _ => format!("remove it; supported options: {SUPPORTED}"),
            };
            return Err(err(format!("unsupported docker run option `{raw}`"), &fix));
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                match args.get(i) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(err(
                            format!("`{flag}` needs a value"),
                            "put the value in the next entry or write --flag=value",
                        ))
                    }
                }
            }
        };
        apply_flag(&mut out, flag, value).map_err(|(message, fix)| ArgError {
            index,
            message,
            fix,
        })?;
        i += 1;
    }
    Ok(out)
}

fn apply_flag(out: &mut ExtraArgs, flag: &str, value: String) -> Result<(), (String, String)> {
    match flag {
        "-e" | "--env" => {
            if !value.contains('=') || value.starts_with('=') {
                return Err((
                    format!("`{flag} {value}` must be NAME=VALUE"),
                    "put variables in the server's \"env\" or write NAME=VALUE".into(),
                ));
            }
            out.env.push(value);
        }
        "-v" | "--volume" => {
            if !value.contains(':') {
                return Err((
                    format!("volume `{value}` has no container path"),
                    "write HOST_PATH:CONTAINER_PATH[:ro]".into(),
                ));
            }
            out.binds.push(value);
        }
        "--tmpfs" => {
            let (path, opts) = value.split_once(':').unwrap_or((value.as_str(), ""));
            out.tmpfs.push((path.to_string(), opts.to_string()));
        }
        "--cap-add" => out.cap_add.push(value),
        "--cap-drop" => out.cap_drop.push(value),
        "--security-opt" => out.security_opt.push(value),
        "-u" | "--user" => out.user = Some(value),
        "-w" | "--workdir" => out.workdir = Some(value),
        "--pids-limit" => {
            let n: i64 = value.parse().map_err(|_| {
                (
                    format!("--pids-limit `{value}` is not a number"),
                    "use an integer such as 256".to_string(),
                )
            })?;
            out.pids_limit = Some(n);
        }
        "--add-host" => out.add_host.push(value),
        "--dns" => out.dns.push(value),
        "--shm-size" => {
            let bytes = super::limits::parse_memory(&value)
                .map_err(|m| (m, "use a size such as \"64m\"".to_string()))?;
            out.shm_size = Some(bytes);
        }
        _ => unreachable!("flag list checked by the caller"),
    }
    Ok(())
}

impl ExtraArgs {
    /// Add `later` on top of `self` (lists are appended, single values replaced).
    pub fn merge(mut self, later: ExtraArgs) -> Self {
        self.env.extend(later.env);
        self.binds.extend(later.binds);
        self.tmpfs.extend(later.tmpfs);
        self.cap_add.extend(later.cap_add);
        self.cap_drop.extend(later.cap_drop);
        self.security_opt.extend(later.security_opt);
        self.read_only |= later.read_only;
        self.user = later.user.or(self.user);
        self.workdir = later.workdir.or(self.workdir);
        self.pids_limit = later.pids_limit.or(self.pids_limit);
        self.add_host.extend(later.add_host);
        self.dns.extend(later.dns);
        self.shm_size = later.shm_size.or(self.shm_size);
        self
    }

    /// Write these settings into a container definition.
    pub fn apply(&self, body: &mut ContainerCreateBody) {
        if !self.env.is_empty() {
            body.env
                .get_or_insert_with(Vec::new)
                .extend(self.env.clone());
        }
        if let Some(user) = &self.user {
            body.user = Some(user.clone());
        }
        if let Some(dir) = &self.workdir {
            body.working_dir = Some(dir.clone());
        }
        let host = body.host_config.get_or_insert_with(HostConfig::default);
        let some_vec = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        host.binds = some_vec(&self.binds);
        host.cap_add = some_vec(&self.cap_add);
        host.cap_drop = some_vec(&self.cap_drop);
        host.security_opt = some_vec(&self.security_opt);
        host.extra_hosts = some_vec(&self.add_host);
        host.dns = some_vec(&self.dns);
        if !self.tmpfs.is_empty() {
            host.tmpfs = Some(self.tmpfs.iter().cloned().collect());
        }
        if self.read_only {
            host.readonly_rootfs = Some(true);
        }
        host.pids_limit = self.pids_limit;
        host.shm_size = self.shm_size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn both_spellings_parse() {
        let a = parse(&strings(&[
            "--cap-drop=ALL",
            "-e",
            "A=1",
            "--read-only",
            "--pids-limit",
            "64",
            "--tmpfs",
            "/tmp:size=16m",
        ]))
        .unwrap();
        assert_eq!(a.cap_drop, vec!["ALL"]);
        assert_eq!(a.env, vec!["A=1"]);
        assert!(a.read_only);
        assert_eq!(a.pids_limit, Some(64));
        assert_eq!(a.tmpfs, vec![("/tmp".to_string(), "size=16m".to_string())]);
    }

    #[test]
    fn refusals_point_at_the_entry_and_the_fix() {
        let e = parse(&strings(&["--read-only", "--privileged"])).unwrap_err();
        assert_eq!(e.index, 1);
        assert!(e.fix.contains("supported options"), "{e:?}");
        let e = parse(&strings(&["-m", "1g"])).unwrap_err();
        assert!(e.fix.contains("memory_limit"));
        let e = parse(&strings(&["--user"])).unwrap_err();
        assert!(e.message.contains("needs a value"));
        let e = parse(&strings(&["-e", "JUSTNAME"])).unwrap_err();
        assert!(e.message.contains("NAME=VALUE"));
    }

    #[test]
    fn merge_and_apply() {
        let global = parse(&strings(&["--cap-drop", "ALL", "-u", "1000"])).unwrap();
        let server = parse(&strings(&["-u", "node", "--dns", "1.1.1.1"])).unwrap();
        let merged = global.merge(server);
        let mut body = ContainerCreateBody::default();
        merged.apply(&mut body);
        assert_eq!(body.user.as_deref(), Some("node"));
        let host = body.host_config.unwrap();
        assert_eq!(host.cap_drop.unwrap(), vec!["ALL"]);
        assert_eq!(host.dns.unwrap(), vec!["1.1.1.1"]);
    }
}
