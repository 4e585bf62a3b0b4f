//! `gatehouse dev` as the built binary: started in a private working directory, read
//! as a developer reads it (the printed `label: value` lines), and logged in to the
//! way its printed headless-login command does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::process::field;

/// The labels `dev` prints, in order.
pub(crate) const LABELS: [&str; 11] = [
    "issuer",
    "discovery",
    "client_id",
    "client_secret",
    "public client_id",
    "redirect_uri",
    "redirect_uri",
    "username",
    "password",
    "code_verifier",
    "headless login",
];

/// `gatehouse dev ARGS` in `dir`, with a clean environment.
pub(crate) fn dev_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.arg("dev").args(args).env_clear().env("GATEHOUSE_LOG", "warn").current_dir(dir);
    cmd
}

/// A running `gatehouse dev`, killed when dropped.
pub(crate) struct Dev {
    child: Child,
    /// What it printed on stdout before serving.
    pub(crate) printed: String,
    /// Its stderr up to then.
    pub(crate) stderr: BufReader<std::process::ChildStderr>,
}

impl Dev {
    /// Starts `gatehouse dev --port 0 ARGS` in `dir` and reads what it prints.
    pub(crate) fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = dev_command(dir, &[&["--port", "0"], args].concat());
        cmd.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut printed = String::new();
        for _ in LABELS {
            if stdout.read_line(&mut printed).unwrap() == 0 {
                let mut err = String::new();
                stderr.read_to_string(&mut err).unwrap();
                panic!("gatehouse dev stopped after printing {printed:?}: {err}");
            }
        }
        Self { child, printed, stderr }
    }

    /// The value printed after `label: ` (the first, for `redirect_uri`).
    pub(crate) fn get(&self, label: &str) -> String {
        field(&self.printed, label).unwrap().to_owned()
    }

    /// The authorization request URL of the printed headless-login command.
    pub(crate) fn headless_login_url(&self) -> String {
        let command = self.get("headless login");
        assert!(command.starts_with("curl -s -o /dev/null -w '%{redirect_url}\\n' '"), "{command}");
        command.trim_end_matches('\'').rsplit('\'').next().unwrap().to_owned()
    }

    /// POST /token: redeems `code` from the printed command, as the demo client with
    /// the printed secret, redirect URI and `code_verifier`.
    pub(crate) async fn redeem(&self, http: &reqwest::Client, code: &str) -> reqwest::Response {
        http.post(format!("{}/token", self.get("issuer")))
            .basic_auth(self.get("client_id"), Some(self.get("client_secret")))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.get("redirect_uri").as_str()),
                ("code_verifier", self.get("code_verifier").as_str()),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Stops it and waits, so that its store can be opened.
    pub(crate) fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
