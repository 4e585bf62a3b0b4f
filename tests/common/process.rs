//! The built binary as an operator runs it: CLI commands and `serve` processes, each
//! with a clean environment, a private working directory and its own store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use gatehouse::store::Store;

use super::db::{Backend, TestDb};

/// The binary, with a clean environment, a private working directory and a store.
pub(crate) struct Cli {
    /// The store it works on.
    pub(crate) db: TestDb,
    /// Its working directory.
    pub(crate) dir: tempfile::TempDir,
}

/// How a command ended.
pub(crate) struct Run {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Cli {
    pub(crate) async fn new(backend: Backend) -> Self {
        Self { db: TestDb::new(backend).await, dir: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
        cmd.args(args)
            .env_clear()
            .env("GATEHOUSE_DATABASE_URL", &self.db.url)
            .env("GATEHOUSE_LOG", "warn")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs `gatehouse ARGS` with `stdin` piped in (not a terminal).
    pub(crate) fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    pub(crate) fn ok(&self, args: &[&str], stdin: &str) -> String {
        let run = self.run(args, stdin);
        assert!(run.ok, "gatehouse {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// Runs a command that must fail, and returns its error message.
    pub(crate) fn fails(&self, args: &[&str], stdin: &str) -> String {
        let run = self.run(args, stdin);
        assert!(!run.ok, "gatehouse {args:?} should fail; printed {}", run.stdout);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        run.stderr
    }

    pub(crate) async fn store(&self) -> Arc<dyn Store> {
        gatehouse::store::open(&self.db.url).await.unwrap()
    }
}

/// `key:   value` lines of the CLI's output.
pub(crate) fn field<'a>(stdout: &'a str, key: &str) -> Option<&'a str> {
    stdout.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':').map(str::trim))
}

/// A `gatehouse serve` process, killed when dropped.
pub(crate) struct Server {
    child: std::process::Child,
    /// Where it listens, e.g. `http://127.0.0.1:41234`.
    pub(crate) url: String,
}

impl Server {
    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `gatehouse serve` on an ephemeral port, with `extra_env`, and waits until it listens.
pub(crate) fn start_server(cli: &Cli, extra_env: &[(&str, &str)]) -> Server {
    let mut command = cli.command(&["serve"]);
    command.env("GATEHOUSE_LISTEN", "127.0.0.1:0").env("GATEHOUSE_LOG", "info").stderr(Stdio::piped());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find_map(|l| l.split("listening on ").nth(1).map(str::to_owned))
        .expect("the server says where it listens");
    // Keep draining its log so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, url }
}
