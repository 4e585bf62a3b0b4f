//! Protocol rules, free of HTTP and SQL: each rule is a small function that
//! returns a checked value or says what is wrong.

pub mod claims;
pub mod client;
