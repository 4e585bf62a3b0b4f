//! Brute-force protection for the login form: failed logins are counted per account
//! and per client address; past a threshold each further failure doubles a temporary
//! block (HTTP 429), up to a ceiling, so an attacker is slowed to a crawl while the real
//! user is never locked out for long.
//!
//! Keys are stored as the SHA-256 of `user:<name, lowercased>` and `ip:<address>`: a
//! fixed length, and nothing typed into the form is kept.

use std::net::IpAddr;

use crate::clock::UnixTime;
use crate::secret;
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

/// One counter a login attempt touches.
struct Key {
    hash: Vec<u8>,
    threshold: i64,
    account: bool,
}

/// The counters one login attempt touches, with their thresholds: the address first,
/// so that an address already blocked does not count against the account.
pub struct Keys(Vec<Key>);

impl Keys {
    /// The account's key (also for usernames that do not exist, so that throttling
    /// does not reveal which do) and the client address's.
    pub fn new(username: &str, address: Option<IpAddr>) -> Self {
        let mut keys = Vec::new();
        if let Some(address) = address {
            keys.push(Key { hash: address_key(address), threshold: ADDRESS_THRESHOLD, account: false });
        }
        keys.push(Key { hash: account_key(username), threshold: ACCOUNT_THRESHOLD, account: true });
        Self(keys)
    }
}

/// The stored key of an account's counters: the SHA-256 of `user:` and the username
/// as usernames are compared (case-insensitively).
pub fn account_key(username: &str) -> Vec<u8> {
    secret::hash(&format!("user:{}", username_key(username)))
}

/// The stored key of a client address's counters: the SHA-256 of `ip:` and the
/// address (IPv4, an IPv4-mapped IPv6 address as IPv4, other IPv6 by its /64).
pub fn address_key(address: IpAddr) -> Vec<u8> {
    secret::hash(&format!("ip:{}", address_name(address)))
}

fn address_name(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Seconds until a login under these keys may be tried again, if one is blocked now.
/// A cheap first check; [`attempt`] is the one that holds under concurrency.
pub async fn retry_after(store: &dyn Store, keys: &Keys, now: UnixTime) -> Result<Option<i64>, StoreError> {
    let mut wait = None;
    for key in &keys.0 {
        if let Some(until) = store.find_throttle(&key.hash).await?.and_then(|row| row.blocked_until)
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
    for (i, key) in keys.0.iter().enumerate() {
        let row = store.count_attempt(&key.hash, now, now - WINDOW).await?;
        let Some(block) = block_for(row.failures, key.threshold) else { continue };
        if !store.claim_block(&key.hash, now, now + block).await? {
            for counted in &keys.0[..=i] {
                store.uncount_attempt(&counted.hash).await?;
            }
            let wait =
                store.find_throttle(&key.hash).await?.and_then(|r| r.blocked_until).map_or(1, |until| until - now);
            return Ok(Err(wait.max(1)));
        }
    }
    Ok(Ok(()))
}

/// A successful login clears the account's count and takes the attempt back from the
/// address's (so a busy shared address is not blocked by its successes).
pub async fn succeeded(store: &dyn Store, keys: &Keys) -> Result<(), StoreError> {
    for key in &keys.0 {
        if key.account {
            store.clear_throttle(&key.hash).await?;
        } else {
            store.uncount_attempt(&key.hash).await?;
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
        assert_eq!(address_name(v6), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_name(mapped), "192.0.2.7");
        let keys = Keys::new("Alice", Some(v6));
        assert_eq!(keys.0[0].hash, secret::hash("ip:2001:db8:1:2::/64"));
        assert_eq!(keys.0[1].hash, secret::hash("user:alice"));
    }

    #[test]
    fn keys_have_a_fixed_length_whatever_was_typed() {
        assert_eq!(account_key("").len(), 32);
        assert_eq!(account_key(&"x".repeat(64 * 1024)).len(), 32);
        assert_eq!(account_key("ALICE"), account_key("alice"));
    }
}
