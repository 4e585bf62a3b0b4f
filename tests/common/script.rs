//! Scripts in other languages that the tests run (relying-party libraries, the
//! browser): run with a clean environment and a timeout, read as one JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// How to run a script: the program, its arguments, its environment (besides `PATH`,
/// which it inherits), how long it may take, and what to say if it cannot start.
pub(crate) struct Script<'a> {
    pub(crate) program: &'a str,
    pub(crate) args: &'a [&'a str],
    pub(crate) env: &'a [(String, String)],
    pub(crate) timeout: Duration,
    pub(crate) install: &'a str,
}

impl Script<'_> {
    /// Runs the script in the repository and returns the JSON of the last line it
    /// prints; fails if it fails or takes too long.
    pub(crate) fn run(&self) -> Value {
        let name = self.args.first().copied().unwrap_or(self.program);
        let mut child = Command::new(self.program)
            .args(self.args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; {}", self.program, self.install));
        let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            let _ = done.send(text);
        });
        // The script closes its stdout when it exits.
        let printed = finished.recv_timeout(self.timeout);
        if printed.is_err() {
            let _ = child.kill();
        }
        let status = child.wait().unwrap();
        let errors = errors.join().unwrap();
        let printed = printed.unwrap_or_else(|_| panic!("{name} took more than {:?}: {errors}", self.timeout));
        assert!(status.success(), "{name} failed ({status}):\n{errors}\n{printed}");
        let last = printed.lines().last().unwrap_or_else(|| panic!("{name} printed nothing: {errors}"));
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{name} printed {last:?}, not JSON: {e}"))
    }
}
