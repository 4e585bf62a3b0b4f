//! Serving connections: HTTP/1.1 over TCP (hyper), within [`Limits`] that keep stalled,
//! idle or too many clients from holding the server's sockets, and a graceful shutdown.
//!
//! Who bounds what: hyper's header read timer starts whenever a connection waits for a
//! request head, at its start and again each time it goes idle after a response, so it
//! is the keep-alive idle bound here. The header read timeout proper counts from the
//! connection's start, or from the first byte of a later request's head, until the head
//! is in; [`head_overdue`] watches it. The body read timeout is a deadline on reading the
//! whole body, where the extractors read it. The connection bound is a semaphore.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tracing::instrument::WithSubscriber;

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The time a client has to send a request's head (request line and headers):
    /// from the connection's start, or from the first byte of a later request.
    pub header_read: Duration,
    /// The time a client has to send a request's whole body, once the head is in.
    pub body_read: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub keep_alive_idle: Duration,
    /// The most connections served at once; a connection beyond it is closed as soon
    /// as it is accepted, never queued.
    pub max_connections: usize,
}

impl Limits {
    /// What `gatehouse serve` uses (its connection bound may be lowered to fit the
    /// open-file limit).
    pub const DEFAULT: Self = Self {
        header_read: Duration::from_secs(10),
        body_read: Duration::from_secs(10),
        keep_alive_idle: Duration::from_secs(60),
        max_connections: 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then accepts no more
/// connections, lets open requests finish and returns once every connection is closed.
pub(crate) async fn serve(
    router: Router,
    mut listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> io::Result<()> {
    let connections = std::sync::Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    // Refused connections since the last warning: one when the bound is first reached,
    // then at most one a minute, however many are refused.
    let (mut refused, mut warned_at) = (0u64, None::<Instant>);
    loop {
        let (stream, peer) = tokio::select! {
            // axum's accept retries on errors (after a pause when out of file descriptors).
            accepted = axum::serve::Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            // Refused at once: dropping the stream closes it.
            drop(stream);
            tracing::debug!(%peer, "refused a connection: too many open");
            refused += 1;
            if warned_at.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                tracing::warn!(
                    limit = limits.max_connections,
                    refused,
                    "connection limit reached: new connections are closed at once"
                );
                (refused, warned_at) = (0, Some(Instant::now()));
            }
            continue;
        };
        // A connection logs where the server does (a test's own subscriber, too).
        let served = connection(stream, peer, router.clone(), limits, permit, graceful.watcher());
        tokio::spawn(served.with_current_subscriber());
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Where a connection is in its request cycle, which says how long it may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request head, since then: [`Limits::header_read`] applies.
    Head(Instant),
    /// A request is being handled (its body reads have their own deadline).
    Busy,
    /// Between requests, until the next byte: hyper's keep-alive idle bound applies.
    Idle,
}

/// Serves one connection until it ends, its request head is overdue, or the server
/// shuts down; `_permit` holds its place under the connection bound until then.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    _permit: OwnedSemaphorePermit,
    watcher: Watcher,
) {
    let phase = watch::Sender::new(Phase::Head(Instant::now()));
    let io = TokioIo::new(Watched { stream, phase: phase.clone() });
    let overdue = head_overdue(phase.subscribe(), limits.header_read);
    let router = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        phase.send_replace(Phase::Busy);
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(limits);
        let response = router.call(request);
        let phase = phase.clone();
        async move {
            let response = response.await;
            phase.send_replace(Phase::Idle);
            response
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        // hyper restarts this timer whenever the connection waits for a head: the idle bound.
        .header_read_timeout(limits.keep_alive_idle)
        .serve_connection(io, service);
    tokio::select! {
        result = watcher.watch(conn) => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection closed");
            }
        }
        // Dropping the connection closes it.
        () = overdue => tracing::debug!(%peer, "closed a connection: request head not received in time"),
    }
}

/// Completes once a request head has been read for longer than `limit`.
async fn head_overdue(mut phase: watch::Receiver<Phase>, limit: Duration) {
    loop {
        let since = match *phase.borrow_and_update() {
            Phase::Head(since) => Some(since),
            Phase::Busy | Phase::Idle => None,
        };
        let changed = async {
            // The connection has ended when no sender is left: never overdue then.
            if phase.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        match since {
            Some(since) => tokio::select! {
                () = tokio::time::sleep_until(since + limit) => return,
                () = changed => {}
            },
            None => changed.await,
        }
    }
}

/// A TCP stream that marks the start of a request head: the first byte read while
/// its connection is idle.
struct Watched {
    stream: TcpStream,
    phase: watch::Sender<Phase>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.phase.send_if_modified(|phase| {
                let idle = *phase == Phase::Idle;
                if idle {
                    *phase = Phase::Head(Instant::now());
                }
                idle
            });
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
