//! Brute-force protection for the login form: failed logins are counted per account
//! and per client address; past a threshold each further failure doubles a temporary
//! block (HTTP 429), up to a ceiling, so an attacker is slowed to a crawl while the real
//! user is never locked out for long.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::store::{Store, StoreError, username_key};

/// Failures are counted over this window.
const WINDOW: i64 = 15 * 60;
/// Failures per account before blocks begin.
const ACCOUNT_THRESHOLD: i64 = 5;
/// Failures per address before blocks begin: higher, since people share addresses.
const ADDRESS_THRESHOLD: i64 = 20;
/// The first block.
const BASE_BLOCK: i64 = 30;
/// The longest block.
const MAX_BLOCK: i64 = 15 * 60;

/// The counters one login attempt touches, with their thresholds: the address first,
/// so that an address already blocked does not count against the account.
pub struct Keys(Vec<(String, i64)>);

impl Keys {
    /// The account's key (also for usernames that do not exist, so that throttling
    /// does not reveal which do) and the client address's, an IPv6 address by its /64.
    pub fn new(username: &str, address: Option<IpAddr>) -> Self {
        let mut keys = Vec::new();
        if let Some(address) = address {
            let address = match address {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => v4.to_string(),
                    None => {
                        let s = v6.segments();
                        format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                    }
                },
            };
            keys.push((format!("ip:{address}"), ADDRESS_THRESHOLD));
        }
        keys.push((account_key(username), ACCOUNT_THRESHOLD));
        Self(keys)
    }
}

fn account_key(username: &str) -> String {
    format!("user:{}", username_key(username))
}

/// Seconds until a login under these keys may be tried again, if one is blocked now.
/// A cheap first check; [`attempt`] is the one that holds under concurrency.
pub async fn retry_after(store: &dyn Store, keys: &Keys, now: UnixTime) -> Result<Option<i64>, StoreError> {
    let mut wait = None;
    for (key, _) in &keys.0 {
        if let Some(until) = store.find_throttle(key).await?.and_then(|row| row.blocked_until)
            && until > now
        {
            wait = wait.max(Some(until - now));
        }
    }
    Ok(wait)
}

/// Counts an attempt under every key *before* the password is checked, so that a burst
/// of parallel guesses cannot all slip past the limit. Below a key's threshold the
/// attempt goes ahead; at or past it, the attempt must claim the key's (next, doubled)
/// block, which only one concurrent attempt can do once the previous block has passed.
/// A refused attempt is not counted. `Err(seconds)` is how long to wait.
pub async fn attempt(store: &dyn Store, keys: &Keys, now: UnixTime) -> Result<Result<(), i64>, StoreError> {
    for (i, (key, threshold)) in keys.0.iter().enumerate() {
        let row = store.count_attempt(key, now, now - WINDOW).await?;
        let Some(block) = block_for(row.failures, *threshold) else { continue };
        if !store.claim_block(key, now, now + block).await? {
            for (counted, _) in &keys.0[..=i] {
                store.uncount_attempt(counted).await?;
            }
            let wait = store.find_throttle(key).await?.and_then(|r| r.blocked_until).map_or(1, |until| until - now);
            return Ok(Err(wait.max(1)));
        }
    }
    Ok(Ok(()))
}

/// A successful login clears the account's count and takes the attempt back from the
/// address's (so a busy shared address is not blocked by its successes).
pub async fn succeeded(store: &dyn Store, keys: &Keys) -> Result<(), StoreError> {
    for (key, _) in &keys.0 {
        if key.starts_with("user:") {
            store.clear_throttle(key).await?;
        } else {
            store.uncount_attempt(key).await?;
        }
    }
    Ok(())
}

/// How long `failures` block for: nothing below the threshold, then 30 s doubling with
/// each failure, at most 15 minutes.
fn block_for(failures: i64, threshold: i64) -> Option<i64> {
    let over = failures.checked_sub(threshold)?;
    (over >= 0).then(|| BASE_BLOCK.saturating_mul(1 << over.min(16)).min(MAX_BLOCK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_double_from_the_threshold_up_to_the_ceiling() {
        assert_eq!(block_for(4, 5), None);
        assert_eq!(block_for(5, 5), Some(30));
        assert_eq!(block_for(6, 5), Some(60));
        assert_eq!(block_for(9, 5), Some(480));
        assert_eq!(block_for(10, 5), Some(900));
        assert_eq!(block_for(1_000, 5), Some(900));
    }

    #[test]
    fn addresses_are_keyed_sensibly() {
        let v6: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let keys = Keys::new("Alice", Some(v6));
        assert_eq!(keys.0[0].0, "ip:2001:db8:1:2::/64");
        assert_eq!(keys.0[1].0, "user:alice");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(Keys::new("a", Some(mapped)).0[0].0, "ip:192.0.2.7");
    }
}
