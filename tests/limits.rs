//! What bounds a request and a connection: the body's size (refused in each
//! endpoint's own error form, never as plain text), the time a client has to send a
//! request head or body or to send its next request, and how many connections are
//! served at once. Timing tests run with timeouts shortened to a fraction of a second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::ErrorKind;
use std::time::Duration;

use gatehouse::Limits;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::backend_tests;
use crate::common::{Backend, Options, TestApp};

backend_tests!(
    an_oversized_body_gets_an_oauth_json_error,
    an_oversized_body_gets_a_bearer_error_at_userinfo,
    an_oversized_body_gets_an_error_page,
    a_stalled_request_head_is_closed_while_others_are_served,
    a_stalled_body_gets_408_and_its_connection_is_closed,
    a_kept_alive_connection_may_idle_longer_than_a_head_may_take,
    connections_beyond_the_bound_are_refused_at_once,
    shutdown_lets_an_open_request_finish,
);

/// Short timeouts, so that the tests wait fractions of a second.
const SHORT: Limits = Limits {
    header_read: Duration::from_millis(200),
    body_read: Duration::from_millis(200),
    keep_alive_idle: Duration::from_secs(1),
    max_connections: Limits::DEFAULT.max_connections,
};

/// Longer than any wait the server should make here: a test that reaches it fails.
const PATIENCE: Duration = Duration::from_secs(2);

async fn spawn(backend: Backend, limits: Limits) -> TestApp {
    TestApp::spawn_with(backend, Options { limits, ..Options::default() }).await
}

/// Reads until the server closes `stream` (end of stream, or a reset); returns what
/// it sent before. Fails if it is still open after [`PATIENCE`].
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("reading: {e}"),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read_all).await.expect("the server closes the connection");
    String::from_utf8(received).unwrap()
}

/// Sends a `GET /healthz` on `stream` and reads the whole response (its head says
/// how long the body is); returns the status line.
async fn healthz(stream: &mut TcpStream) -> String {
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n").await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the connection stays open for the response");
            received.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&received).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                    .map_or(0, |v| v.parse::<usize>().unwrap());
                if body.len() >= length {
                    return head.lines().next().unwrap().to_owned();
                }
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.expect("a response")
}

/// A form body just over the 64 KiB limit.
fn oversized_form(first: &str) -> String {
    format!("{first}&padding={}", "a".repeat(64 * 1024))
}

const TOO_LARGE: &str = "the request body is larger than 64 KiB";

async fn an_oversized_body_gets_an_oauth_json_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client().await;
    for path in ["/token", "/revoke", "/introspect"] {
        let response = app
            .http
            .post(app.url(path))
            .basic_auth(&client.id, client.secret.as_ref())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oversized_form("grant_type=client_credentials&token=x"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({"error": "invalid_request", "error_description": TOO_LARGE}), "{path}");
    }
}

async fn an_oversized_body_gets_a_bearer_error_at_userinfo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .http
        .post(app.url("/userinfo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(oversized_form("access_token=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with(&format!("Bearer realm=\"{}\"", app.issuer)), "{challenge}");
    assert!(challenge.contains("error=\"invalid_request\""), "{challenge}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"error": "invalid_request", "error_description": TOO_LARGE}));
}

async fn an_oversized_body_gets_an_error_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/authorize", "/login"] {
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(oversized_form("client_id=rp"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(response.headers()["x-frame-options"], "DENY", "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("The request is larger than 64 KiB."), "{path}: {html}");
    }
}

async fn a_stalled_request_head_is_closed_while_others_are_served(backend: Backend) {
    let app = spawn(backend, SHORT).await;
    let start = Instant::now();
    // Half a head; nothing at all; a head trickling in, a byte every 50 ms.
    let mut half = TcpStream::connect(app.addr).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: gate").await.unwrap();
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let trickling = TcpStream::connect(app.addr).await.unwrap();
    let (mut trickle_read, mut trickle_write) = trickling.into_split();
    let trickle = tokio::spawn(async move {
        for byte in b"GET /healthz HTTP/1.1\r\nHost: gatehouse\r\nX-Padding: ".iter().cycle() {
            if trickle_write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });

    // Meanwhile, others are served.
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.discovery().await["issuer"], app.issuer.as_str());

    for (name, stream) in [("half a head", &mut half), ("nothing", &mut silent)] {
        assert_eq!(until_closed(stream).await, "", "{name}: closed without an answer");
        assert!(start.elapsed() >= SHORT.header_read, "{name}: not before the header read timeout");
    }
    let read_all = async { while trickle_read.read(&mut [0u8; 64]).await.is_ok_and(|n| n > 0) {} };
    tokio::time::timeout(PATIENCE, read_all).await.expect("a trickling head is closed at the deadline too");
    trickle.abort();
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
}

async fn a_stalled_body_gets_408_and_its_connection_is_closed(backend: Backend) {
    let app = spawn(backend, SHORT).await;
    for (path, error_form) in [("/token", "\"error\":\"invalid_request\""), ("/login", "<html")] {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100\r\n\r\ngrant_type"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let start = Instant::now();
        let response = until_closed(&mut stream).await;
        assert!(start.elapsed() >= SHORT.body_read, "{path}: not before the body read timeout");
        assert!(response.starts_with("HTTP/1.1 408 "), "{path}: {response}");
        assert!(response.contains(error_form), "{path}: {response}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
}

async fn a_kept_alive_connection_may_idle_longer_than_a_head_may_take(backend: Backend) {
    let app = spawn(backend, SHORT).await;
    let beyond_header_timeout = SHORT.header_read + Duration::from_millis(150);
    // Kept alive past the header read timeout, then closed at the idle timeout.
    let idle = async {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        assert_eq!(healthz(&mut stream).await, "HTTP/1.1 200 OK");
        tokio::time::sleep(beyond_header_timeout).await;
        assert_eq!(healthz(&mut stream).await, "HTTP/1.1 200 OK", "still open after a pause");
        let idle_since = Instant::now();
        assert_eq!(until_closed(&mut stream).await, "");
        assert!(idle_since.elapsed() >= SHORT.keep_alive_idle, "closed at the idle timeout, not before");
    };
    // Once the next head has begun, it has the header read timeout to finish.
    let next_head = async {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        assert_eq!(healthz(&mut stream).await, "HTTP/1.1 200 OK");
        stream.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        let head_since = Instant::now();
        assert_eq!(until_closed(&mut stream).await, "");
        let waited = head_since.elapsed();
        assert!(waited >= SHORT.header_read && waited < SHORT.keep_alive_idle, "closed after {waited:?}");
    };
    tokio::join!(idle, next_head);
}

async fn connections_beyond_the_bound_are_refused_at_once(backend: Backend) {
    // The default header read timeout: the stalled connections are held throughout.
    let app = spawn(backend, Limits { max_connections: 3, ..Limits::DEFAULT }).await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        stalled.push(stream);
    }

    // The fourth is closed at once, and so is a well-formed request's connection.
    let mut fourth = TcpStream::connect(app.addr).await.unwrap();
    let start = Instant::now();
    assert_eq!(until_closed(&mut fourth).await, "");
    assert!(start.elapsed() < Duration::from_secs(1), "refused at once, after {:?}", start.elapsed());
    assert!(app.http.get(app.url("/healthz")).send().await.is_err(), "no connection beyond the bound");
    for stream in &stalled {
        let open = matches!(stream.try_read(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock);
        assert!(open, "the connections within the bound are held");
    }

    // Once they are gone, requests are served again.
    drop(stalled);
    let served = async {
        loop {
            match app.http.get(app.url("/healthz")).send().await {
                Ok(response) => return response.status(),
                // The server has not yet seen them close.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    assert_eq!(tokio::time::timeout(PATIENCE, served).await.expect("served again"), 200);
}

async fn shutdown_lets_an_open_request_finish(backend: Backend) {
    let mut app = spawn(backend, Limits::DEFAULT).await;
    let addr = app.addr;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = "grant_type=client_credentials";
    let head = format!(
        "POST /token HTTP/1.1\r\nHost: gatehouse\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // 100 Continue: the handler is reading the body, the request is under way.
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    let stop = app.stop();
    let finish = async {
        // Once new connections are refused, the shutdown is under way.
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
        stream.write_all(body.as_bytes()).await.unwrap();
        until_closed(&mut stream).await
    };
    let ((), response) = tokio::time::timeout(PATIENCE, async { tokio::join!(stop, finish) }).await.unwrap();
    // The request was answered (no client authentication: 401), then the connection closed.
    assert!(response.starts_with("HTTP/1.1 401 "), "{response}");
}
