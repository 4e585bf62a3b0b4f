//! A relying party on loopback for the real browser to be sent back to: every GET is
//! answered with a small HTML page, and each request's target is recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The page every request gets.
const PAGE: &str = "<!doctype html><title>relying party</title><p>back at the relying party</p>";

/// A listening relying party on `http://127.0.0.1:<port>`; it stops when dropped.
pub(crate) struct RelyingParty {
    /// `http://127.0.0.1:<port>`.
    pub(crate) origin: String,
    targets: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RelyingParty {
    /// Binds `127.0.0.1:0` and serves until dropped.
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&targets);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, Arc::clone(&recorded)));
            }
        });
        Self { origin, targets, task }
    }

    /// The request targets (path and query) received so far, in order, without the
    /// browser's own `/favicon.ico`.
    pub(crate) fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().iter().filter(|t| *t != "/favicon.ico").cloned().collect()
    }
}

impl Drop for RelyingParty {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request's head, records its target and answers with [`PAGE`].
async fn answer(mut stream: TcpStream, targets: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (line.next().unwrap_or_default(), line.next().unwrap_or_default());
    let status = if method == "GET" { "200 OK" } else { "405 Method Not Allowed" };
    targets.lock().unwrap().push(target.to_owned());
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{PAGE}",
        PAGE.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
