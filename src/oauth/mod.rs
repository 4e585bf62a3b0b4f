//! Protocol rules, free of HTTP and SQL: each rule is a small function that returns a
//! checked value or says what is wrong. Handlers call one entry point per endpoint
//! with a [`Context`]: `authorize::authorize`, `login::{show, finish}`,
//! `consent::{show, finish}`, `logout::logout`,
//! `grant::exchange`, `revocation::{revoke, introspect}`, `userinfo::userinfo`.

pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod consent;
pub mod defects;
pub mod dev;
pub mod error;
pub mod fixture;
pub mod fixture_login;
pub mod grant;
pub mod jwt;
pub mod login;
pub mod logout;
pub mod mint;
pub mod params;
pub mod pending;
pub mod pkce;
pub mod request;
pub mod request_log;
pub mod response;
pub mod revocation;
pub mod scope;
pub mod session;
pub mod throttle;
pub mod tokens;
pub mod userinfo;

use crate::clock::UnixTime;
use crate::config::{Issuer, Lifetimes};
use crate::keys::KeySet;
use crate::store::{Store, StoreError, User};

/// What protocol code needs of the running provider to answer one request.
#[derive(Clone)]
pub struct Context<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The signing keys, as loaded when the request began.
    pub keys: KeySet,
    /// The issuer, from which every published URL is built.
    pub issuer: &'a Issuer,
    /// How long codes, tokens and sessions live.
    pub lifetimes: &'a Lifetimes,
    /// The time of the request.
    pub now: UnixTime,
    /// How far instances' clocks may differ: a token another instance just issued
    /// may look this much younger than it is.
    pub clock_skew: i64,
    /// Dev mode: set only by `gatehouse dev`, never by `serve`.
    pub dev: Option<&'a dev::DevMode>,
}

/// The user with subject `id`, if they may still use what was granted to them: they
/// exist and are not disabled. Sessions, codes, refresh tokens and access tokens of a
/// removed or disabled user all end by this one rule.
pub async fn active_user(store: &dyn Store, id: &str) -> Result<Option<User>, StoreError> {
    Ok(store.find_user(id).await?.filter(is_active))
}

/// An existing user whose name people could take for `username` (UTS #39
/// confusables, see [`crate::username::looks_like`]): a new user may not take it.
pub async fn look_alike(store: &dyn Store, username: &str) -> Result<Option<User>, StoreError> {
    let users = store.list_users().await?;
    Ok(users.into_iter().find(|u| crate::username::looks_like(&u.username, username)))
}

/// Whether a user may log in and use what was granted to them.
pub fn is_active(user: &User) -> bool {
    !user.disabled
}
