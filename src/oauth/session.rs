//! Browser sessions: the cookie that remembers a login, the login form's CSRF token,
//! and checking a password.

use aws_lc_rs::digest;

use super::Context;
use crate::clock::UnixTime;
use crate::config::Lifetimes;
use crate::secret;
use crate::store::{SessionRow, Store, StoreError, User};

/// How far a session's idle end must have fallen behind before a use moves it: at most
/// one write a minute per session (less under a short idle lifetime, see [`current`]).
const TOUCH_AFTER: i64 = 60;

/// The session of a session cookie, if it is live (within both its lifetimes) and its
/// user may still log in. Finding it is a use: its idle end moves forward.
pub async fn current(ctx: &Context<'_>, cookie: Option<&str>) -> Result<Option<SessionRow>, StoreError> {
    let Some(cookie) = cookie else { return Ok(None) };
    let (store, now) = (ctx.store, ctx.now);
    let Some(mut session) = store.find_session(&secret::hash(cookie), now).await? else { return Ok(None) };
    if super::active_user(store, &session.user_id).await?.is_none() {
        return Ok(None);
    }
    let idle_end = idle_end(&session, ctx.lifetimes, now);
    // A quarter of a short idle lifetime, so that a session in use never ends idle.
    let touch_after = TOUCH_AFTER.min(ctx.lifetimes.session_idle / 4);
    if idle_end - session.idle_expires_at >= touch_after {
        store.touch_session(&session.id_hash, idle_end).await?;
        session.idle_expires_at = idle_end;
    }
    Ok(Some(session))
}

/// When a session used at `now` ends if it is not used again: after the idle
/// lifetime, but never after its absolute end.
fn idle_end(session: &SessionRow, lifetimes: &Lifetimes, now: UnixTime) -> UnixTime {
    (now + lifetimes.session_idle).min(session.expires_at)
}

/// Starts a session for `user`, authenticated at `now`. Returns the cookie value
/// (shown once, stored only as a hash) and the session.
pub async fn start(
    store: &dyn Store,
    user: &User,
    lifetimes: &Lifetimes,
    now: UnixTime,
) -> Result<(String, SessionRow), StoreError> {
    let cookie = secret::random_token();
    let mut session = SessionRow {
        id_hash: secret::hash(&cookie),
        sid: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        auth_time: now,
        created_at: now,
        expires_at: now + lifetimes.session,
        idle_expires_at: 0,
    };
    session.idle_expires_at = idle_end(&session, lifetimes, now);
    store.insert_session(&session).await?;
    Ok((cookie, session))
}

/// Which form a CSRF token is for: a token of one form is no good for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// The login form.
    Login,
    /// The consent form.
    Consent,
}

impl FormKind {
    /// The domain-separation tag hashed in first.
    fn tag(self) -> &'static [u8] {
        match self {
            Self::Login => b"gatehouse login csrf\0",
            Self::Consent => b"gatehouse consent csrf\0",
        }
    }
}

/// A form's CSRF token: derived from the form's kind, the browser's secret cookie and
/// the pending request, so only a page of that kind served to that browser for that
/// request has it.
pub fn csrf_token(kind: FormKind, browser_cookie: &str, request_id: &str) -> String {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(kind.tag());
    ctx.update(browser_cookie.as_bytes());
    ctx.update(b"\0");
    ctx.update(request_id.as_bytes());
    secret::b64url(ctx.finish().as_ref())
}

/// Whether a submitted CSRF token is the one for this form, browser and request
/// (constant time).
pub fn check_csrf(kind: FormKind, browser_cookie: &str, request_id: &str, submitted: &str) -> bool {
    let expected = csrf_token(kind, browser_cookie, request_id);
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), submitted.as_bytes()).is_ok()
}

/// Why a login attempt failed, for the log only: the page gives every cause the same
/// answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The id of the user the typed username names, if there is one. Never the typed
    /// name itself: it may be a password typed into the wrong field.
    pub user: Option<String>,
    /// Why, as the log says it.
    pub reason: &'static str,
}

/// Checks a username and password. Unknown users and disabled users fail exactly like
/// a wrong password, after the same argon2 work, so the answer reveals nothing; only
/// the [`Rejected`] tells them apart.
pub async fn check_password(
    store: &dyn Store,
    username: &str,
    password: &str,
) -> Result<Result<User, Rejected>, StoreError> {
    let user = store.find_user_by_username(username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = crate::password::verify(password.to_owned(), hash).await;
    let rejected = |user: Option<User>, reason| Err(Rejected { user: user.map(|u| u.id), reason });
    Ok(match user {
        None => rejected(None, "no user has that username"),
        Some(user) if !matches => rejected(Some(user), "the password is wrong"),
        Some(user) if !super::is_active(&user) => rejected(Some(user), "the user is disabled"),
        Some(user) => Ok(user),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_form_browser_and_request() {
        let token = csrf_token(FormKind::Login, "browser", "req");
        assert!(check_csrf(FormKind::Login, "browser", "req", &token));
        assert!(!check_csrf(FormKind::Consent, "browser", "req", &token), "another form's token");
        assert!(!check_csrf(FormKind::Login, "other", "req", &token));
        assert!(!check_csrf(FormKind::Login, "browser", "other", &token));
        assert!(!check_csrf(FormKind::Login, "browser", "req", ""));
    }
}
