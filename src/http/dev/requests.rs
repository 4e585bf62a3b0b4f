//! `/_dev/requests`: the requests the provider received at its endpoints, secrets
//! redacted; and [`record`], the middleware (installed only in dev mode) that logs them.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

use super::{answer, no_content};
use crate::AppState;
use crate::oauth::request_log::{self, Entry};

/// `GET /_dev/requests`: 200, the last 1,000 requests, oldest first.
pub(in crate::http) async fn get(State(state): State<AppState>) -> Response {
    answer(StatusCode::OK, &serde_json::to_value(state.requests()).unwrap_or_default())
}

/// `DELETE /_dev/requests`: 204, the log emptied.
pub(in crate::http) async fn delete(State(state): State<AppState>) -> Response {
    state.clear_requests();
    no_content()
}

/// Middleware around every route in dev mode: logs each request but the control
/// API's own and health checks, with its status. A form body is copied as the
/// handler reads it, so the handler's limits and errors stay as they are.
pub(in crate::http) async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(dev) = state.dev.clone() else { return next.run(request).await };
    let path = request.uri().path().to_owned();
    let under = |name: &str| {
        path.strip_prefix(state.config.issuer.path())
            .is_some_and(|rest| rest == name || rest.strip_prefix(name).is_some_and(|r| r.starts_with('/')))
    };
    if under("/_dev") || under("/healthz") {
        return next.run(request).await;
    }
    let time = state.clock.now();
    let method = request.method().to_string();
    let query = request.uri().query().unwrap_or("").to_owned();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), request_log::header(name.as_str(), value.as_bytes())));
    let headers = headers.collect();
    let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_form =
        content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let copy = Arc::new(Mutex::new(Vec::new()));
    let request = if is_form {
        let (parts, body) = request.into_parts();
        Request::from_parts(parts, Body::new(Tee { inner: body, copy: copy.clone() }))
    } else {
        request
    };
    let response = next.run(request).await;
    let form = std::mem::take(&mut *copy.lock().unwrap_or_else(PoisonError::into_inner));
    let params = request_log::params(query.as_bytes(), &form);
    dev.requests.record(Entry { method, path, params, headers, status: response.status().as_u16(), time });
    response
}

/// A body that copies what is read of it (up to the routes' body limit).
struct Tee {
    inner: Body,
    copy: Arc<Mutex<Vec<u8>>>,
}

impl http_body::Body for Tee {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let mut copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
            if copy.len() + data.len() <= crate::http::BODY_LIMIT {
                copy.extend_from_slice(data);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
