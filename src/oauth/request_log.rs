//! dev's request log (`GET /_dev/requests`): the requests the provider received, so
//! that a relying party's suite can assert on what its code sent. Secrets are never
//! kept: the values of the parameters and headers that carry them are replaced.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::UnixTime;

/// How many requests the log keeps: the last ones.
pub const CAPACITY: usize = 1_000;

/// What a secret's value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The parameters whose values are secrets: credentials, codes, tokens, passwords.
pub const SECRET_PARAMS: [&str; 10] = [
    "client_secret",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "token",
    "id_token_hint",
    "password",
    "assertion",
    "client_assertion",
];

/// The headers whose values are secrets.
pub const SECRET_HEADERS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "set-cookie"];

/// One request, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The HTTP method.
    pub method: String,
    /// The path, as received.
    pub path: String,
    /// The query's and the form body's parameters, secrets redacted.
    pub params: Map<String, Value>,
    /// The request's headers, secrets redacted.
    pub headers: Map<String, Value>,
    /// The status answered.
    pub status: u16,
    /// When it arrived, by the provider's clock.
    pub time: UnixTime,
}

/// The last [`CAPACITY`] requests, oldest first.
#[derive(Debug, Default)]
pub struct RequestLog(Mutex<VecDeque<Entry>>);

impl RequestLog {
    /// Adds a request, dropping the oldest beyond [`CAPACITY`].
    pub fn record(&self, entry: Entry) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The requests kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// Forgets every request.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// The parameters of a query and a form body (`application/x-www-form-urlencoded`),
/// read leniently (the log shows what was sent, valid or not): a name sent more than
/// once has its values in a list; secrets are [`REDACTED`].
pub fn params(query: &[u8], form: &[u8]) -> Map<String, Value> {
    let mut params = Map::new();
    for (name, value) in url::form_urlencoded::parse(query).chain(url::form_urlencoded::parse(form)) {
        let value = if SECRET_PARAMS.contains(&name.as_ref()) { REDACTED.into() } else { value.into_owned() };
        match params.get_mut(name.as_ref()) {
            Some(Value::Array(values)) => values.push(value.into()),
            Some(first) => *first = Value::Array(vec![first.take(), value.into()]),
            None => {
                params.insert(name.into_owned(), value.into());
            }
        }
    }
    params
}

/// A header as the log shows it: secrets [`REDACTED`], other values as text.
pub fn header(name: &str, value: &[u8]) -> Value {
    if SECRET_HEADERS.iter().any(|secret| name.eq_ignore_ascii_case(secret)) {
        REDACTED.into()
    } else {
        String::from_utf8_lossy(value).into_owned().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_and_repeats_kept() {
        let query = b"client_id=rp&scope=openid+email&code=abc";
        let form = b"client_secret=s3cret&code_verifier=v&grant_type=authorization_code&scope=x";
        let logged = Value::Object(params(query, form));
        assert_eq!(
            logged,
            json!({"client_id": "rp", "scope": ["openid email", "x"], "code": "[redacted]",
                "client_secret": "[redacted]", "code_verifier": "[redacted]", "grant_type": "authorization_code"})
        );
        assert_eq!(header("Authorization", b"Basic cnA6czNjcmV0"), json!("[redacted]"));
        assert_eq!(header("cookie", b"gh_session=x"), json!("[redacted]"));
        assert_eq!(header("accept", b"application/json"), json!("application/json"));
    }

    #[test]
    fn keeps_the_last_requests_oldest_first() {
        let log = RequestLog::default();
        let entry = |time| Entry {
            method: "GET".into(),
            path: "/jwks".into(),
            params: Map::new(),
            headers: Map::new(),
            status: 200,
            time,
        };
        for time in 0..1_005 {
            log.record(entry(time));
        }
        let times: Vec<_> = log.entries().iter().map(|e| e.time).collect();
        assert_eq!((times.len(), times[0], times[999]), (CAPACITY, 5, 1_004));
        log.clear();
        assert!(log.entries().is_empty());
    }
}
