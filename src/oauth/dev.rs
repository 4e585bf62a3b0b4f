//! Behaviour for `gatehouse dev` only. Protocol code knows dev mode only through
//! [`Context::dev`](super::Context::dev), which only `gatehouse dev` sets (through
//! [`AppState::in_dev_mode`](crate::AppState::in_dev_mode)); nothing in the
//! configuration or the store can turn it on under `serve`.

use super::request::AuthorizationRequest;
use super::{Context, is_active};
use crate::store::{StoreError, User};

/// What `gatehouse dev` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevMode {
    /// Log this user in without a page for every authorization request (`--auto-login`).
    pub auto_login: Option<String>,
}

/// Under dev mode, the user to log in without a page for `request`: the
/// `--auto-login` user, or the one `login_hint` names, if they exist and are enabled,
/// unless the request asks to log in again (`prompt=login`, `max_age=0`), asks for
/// consent (`prompt=consent`), or names another user with `id_token_hint`. With the
/// user comes what named them, for the log.
pub async fn headless_user(
    ctx: &Context<'_>,
    request: &AuthorizationRequest,
) -> Result<Option<(User, &'static str)>, StoreError> {
    let Some(dev) = ctx.dev else { return Ok(None) };
    if request.prompt_login || request.prompt_consent || request.max_age == Some(0) {
        return Ok(None);
    }
    let (username, source) = match (&dev.auto_login, &request.login_hint) {
        (Some(user), _) => (user, "--auto-login"),
        (None, Some(hint)) => (hint, "login_hint"),
        (None, None) => return Ok(None),
    };
    let user = ctx.store.find_user_by_username(username).await?.filter(is_active);
    Ok(user.filter(|u| request.hinted_sub.as_ref().is_none_or(|sub| *sub == u.id)).map(|u| (u, source)))
}
