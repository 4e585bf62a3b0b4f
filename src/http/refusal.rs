//! Refusals in the log, so that a developer whose relying party fails is told why.
//! Whoever answers a request with a refusal attaches a [`Refusal`] to the response;
//! [`log`], around every route, writes it as one `info` line with the endpoint:
//!
//! ```text
//! INFO gatehouse::http::refusal: refused: the authorization code has expired endpoint=/token client=rp error=invalid_grant
//! ```
//!
//! A refusal names the client only once it is known to be registered, and the user
//! only by id: an unknown id or username may be a secret typed into the wrong field.
//! Descriptions are gatehouse's own words; no secret, code, token, password, cookie or
//! header value from the request is ever part of one. `server_error`s are not
//! refusals (their cause is logged where it happened, at `error`), and neither are
//! refusals already logged where they happened (replays, at `warn`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::oauth::error::{ErrorCode, OAuthError};

/// What the log says of a refused request.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    /// The OAuth error code answered, if any (a request without any access token gets
    /// only a challenge, RFC 6750 §3.1).
    error: Option<&'static str>,
    /// The `error_description`, and what only the log is told.
    description: String,
    /// The registered client.
    client: Option<String>,
    /// The user's id.
    user: Option<String>,
}

impl Refusal {
    /// The refusal of `error`; `None` for a `server_error` or an error logged already.
    pub(super) fn of(error: &OAuthError) -> Option<Self> {
        if error.code == ErrorCode::ServerError || error.was_logged() {
            return None;
        }
        let description = match error.detail() {
            Some(detail) => format!("{} ({detail})", error.description()),
            None => error.description().to_owned(),
        };
        Some(Self { error: Some(error.code.as_str()), description, client: None, user: None })
    }

    /// A refusal that is no [`OAuthError`] (a failed login shows the form again).
    pub(super) fn new(code: ErrorCode, description: String) -> Self {
        Self { error: Some(code.as_str()), description, client: None, user: None }
    }

    /// A refusal that answers no OAuth error code.
    pub(super) fn without_code(description: &'static str) -> Self {
        Self { error: None, description: description.to_owned(), client: None, user: None }
    }

    /// The same refusal, of a request by this registered client.
    pub(super) fn client(mut self, id: Option<&str>) -> Self {
        self.client = id.map(str::to_owned);
        self
    }

    /// The same refusal, of a login as the user with this id.
    pub(super) fn user(mut self, id: Option<&str>) -> Self {
        self.user = id.map(str::to_owned);
        self
    }

    /// `response`, carrying this refusal to [`log`].
    pub(super) fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// `response` carrying the refusal of `error` by `client`, if it is one.
pub(super) fn attach(error: &OAuthError, client: Option<&str>, response: Response) -> Response {
    match Refusal::of(error) {
        Some(refusal) => refusal.client(client).attach(response),
        None => response,
    }
}

/// Middleware around every route: logs the refusal a response carries, once, with the
/// endpoint (the path under the issuer, which is the state).
pub(super) async fn log(State(prefix): State<Arc<str>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if let Some(refusal) = response.extensions_mut().remove::<Refusal>() {
        let endpoint = path.strip_prefix(&*prefix).unwrap_or(&path);
        let Refusal { error, description, client, user } = refusal;
        tracing::info!(
            endpoint = %endpoint,
            client = client.as_deref().map(tracing::field::display),
            user = user.as_deref().map(tracing::field::display),
            error = error.map(tracing::field::display),
            "refused: {description}"
        );
    }
    response
}
