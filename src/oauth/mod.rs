//! Protocol rules, free of HTTP and SQL: each rule is a small function that
//! returns a checked value or says what is wrong.

pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod error;
pub mod jwt;
pub mod params;
pub mod pkce;
pub mod refresh;
pub mod revocation;
pub mod scope;
pub mod session;
pub mod throttle;
pub mod token;
pub mod tokens;
pub mod userinfo;
