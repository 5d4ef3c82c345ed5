//! Running the real binaries: `simple-server` on loopback with its own store in a temporary
//! directory, and `simple-cli` users. Every wait is for a line, bounded; none is a sleep.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SERVER: &str = env!("CARGO_BIN_EXE_simple-server");
pub const CLI: &str = env!("CARGO_BIN_EXE_simple-cli");

/// A process whose stdout lines are collected as they come.
pub struct Proc {
    pub name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    stdin: Option<ChildStdin>,
}

impl Proc {
    pub fn spawn(name: &str, bin: &str, args: &[&str], stderr: &Path) -> Self {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(stderr).unwrap()))
            .spawn()
            .unwrap_or_else(|e| panic!("{bin}: {e}"));
        let out = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                l.lock().unwrap().push(line);
            }
        });
        let stdin = child.stdin.take();
        Self { name: name.to_owned(), child, lines, stdin }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// The first line containing every one of `parts`, waiting up to `secs`.
    pub fn wait_for(&self, parts: &[&str], secs: u64) -> String {
        self.wait_nth(parts, 1, secs)
    }

    /// The `n`th line containing every one of `parts`.
    pub fn wait_nth(&self, parts: &[&str], n: usize, secs: u64) -> String {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let found: Vec<String> =
                self.lines().into_iter().filter(|l| parts.iter().all(|p| l.contains(p))).collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            if Instant::now() > end {
                panic!(
                    "{}: no line #{n} with {parts:?} in {secs} s; it printed:\n{}",
                    self.name,
                    self.lines().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn count(&self, parts: &[&str]) -> usize {
        self.lines().iter().filter(|l| parts.iter().all(|p| l.contains(p))).count()
    }

    pub fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the exit (bounded); the status code.
    pub fn wait(&mut self, secs: u64) -> i32 {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code().unwrap_or(-1);
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!(
                    "{} did not exit in {secs} s; it printed:\n{}",
                    self.name,
                    self.lines().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self, secs: u64) -> i32 {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        self.wait(secs)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server on loopback.
pub struct Server {
    pub proc: Proc,
    pub dir: PathBuf,
    pub udp: SocketAddr,
    pub tcp: SocketAddr,
    pub tls: SocketAddr,
    pub xcap: SocketAddr,
}

/// A fresh directory under the target dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub const USERS: &str = r#"
[[users]]
name = "alice"
password = "alice-secret"

[[users]]
name = "bob"
password = "bob-secret"

[[users]]
name = "carol"
password = "carol-secret"
"#;

impl Server {
    /// Starts a server in `dir` with `extra` TOML before the users; on `ports` (udp/tcp, tls)
    /// or free ones.
    pub fn start(dir: &Path, extra: &str, ports: Option<(u16, u16)>) -> Self {
        Self::start_on(dir, extra, ports, "")
    }

    /// [`Server::start`], with `store` added to the `[store]` section (`postgres = "..."`).
    pub fn start_on(dir: &Path, extra: &str, ports: Option<(u16, u16)>, store: &str) -> Self {
        let (main, tls) = ports.unwrap_or((0, 0));
        let config = format!(
            "domain = \"127.0.0.1\"\n{extra}\n[listen]\nudp = \"127.0.0.1:{main}\"\ntcp = \"127.0.0.1:{main}\"\ntls = \"127.0.0.1:{tls}\"\n[xcap]\nlisten = \"127.0.0.1:0\"\n[store]\npath = \"{}\"\n{store}\n{USERS}",
            dir.join("store.db").display()
        );
        let path = dir.join("server.toml");
        std::fs::write(&path, config).unwrap();
        let n = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
        let log = dir.join(format!("server-{n}.log"));
        let proc = Proc::spawn(
            "simple-server",
            SERVER,
            &["--config", path.to_str().unwrap(), "--log", "debug"],
            &log,
        );
        let ready = proc.wait_for(&["READY"], 30);
        let field = |name: &str| -> SocketAddr {
            ready
                .split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("{name} in {ready}"))
        };
        let (udp, tcp, tls, xcap) = (field("udp"), field("tcp"), field("tls"), field("xcap"));
        Self { proc, dir: dir.to_owned(), udp, tcp, tls, xcap }
    }

    /// A `simple-cli` as `user` (password `USER-secret`, or `password`).
    pub fn cli(&self, user: &str, password: Option<&str>, args: &[&str]) -> Proc {
        let pw = password.map_or_else(|| format!("{user}-secret"), str::to_owned);
        let server = self.udp.to_string();
        let mut all = vec!["--server", &server, "--user", user, "--password", &pw];
        all.extend_from_slice(args);
        let n = std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0);
        let log = self.dir.join(format!("cli-{user}-{n}.log"));
        Proc::spawn(&format!("simple-cli {user} {}", args.join(" ")), CLI, &all, &log)
    }

    /// What the server has logged so far (its stderr).
    pub fn log(&self) -> String {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("server-")))
            .collect();
        logs.sort_by_key(|p| {
            p.file_stem()
                .and_then(|n| n.to_string_lossy().trim_start_matches("server-").parse::<u32>().ok())
        });
        logs.last().map(|p| std::fs::read_to_string(p).unwrap_or_default()).unwrap_or_default()
    }

    /// Runs a `simple-cli` to the end: its status and output.
    pub fn run(&self, user: &str, args: &[&str]) -> (i32, String) {
        let mut p = self.cli(user, None, args);
        let code = p.wait(60);
        (code, p.lines().join("\n"))
    }
}
