//! Brute-force protection for the login form. Failed logins are counted per account
//! and per client address; from a key's threshold on, each further failure blocks the
//! key (HTTP 429) twice as long as the last, from 30 s up to 15 minutes, so an
//! attacker is slowed to a crawl while the real user is never locked out for long. A
//! successful login clears its account's count.
//!
//! Correct passwords never trip it, however many arrive at once. What is limited is
//! how many attempts are *checked at once*: per key, an attempt is admitted only while
//! fewer attempts are in flight than the failures the threshold still allows
//! (`threshold - failures`; one at a time once a block has passed). So no burst of
//! guesses gets more of them to the password check than could fail before the block
//! begins. An attempt that finds no room waits for those in flight, polling the store
//! with a short backoff for up to [`WAIT`]: if they succeeded, the account's count is
//! cleared and it goes ahead; if they failed and began a block, it is refused with the
//! block's `Retry-After`.
//!
//! The counts live in the store, so they hold across instances sharing a database:
//! admission is one atomic upsert per key, and a failed attempt's failure is counted
//! and its block set before its slot is given back. The in-flight count carries a
//! lease of [`LEASE`] seconds, renewed by each admission, so that an instance that
//! dies mid-check holds a key's slots no longer than that. An attempt still without
//! room after [`WAIT`] is refused (429 until the lease lapses), never let through.
//!
//! Keys are stored as the SHA-256 of `user:<name, lowercased>` (unknown names too, so
//! that throttling does not reveal which exist) and `ip:<address>` (an IPv6 address by
//! its /64): a fixed length, and nothing typed into the form is kept.

use std::net::IpAddr;
use std::time::Duration;

use crate::clock::UnixTime;
use crate::secret;
use crate::store::{Store, StoreError, ThrottleRow, username_key};

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
/// Seconds an admitted attempt counts as in flight if it never ends (its instance
/// died): far longer than a password check, short enough not to lock anyone out.
pub const LEASE: i64 = 30;
/// How long an attempt waits for room before it is refused.
pub const WAIT: Duration = Duration::from_secs(5);
/// The first pause between two looks at the store while waiting; it doubles up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// One counter a login attempt touches.
struct Key {
    hash: Vec<u8>,
    threshold: i64,
    account: bool,
}

/// The counters one login attempt touches, with their thresholds: the address first,
/// so that an attempt from a blocked or busy address takes nothing from the account.
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
/// A cheap first check, with reads only; [`admit`] is the one that holds under
/// concurrency.
async fn retry_after(store: &dyn Store, keys: &Keys, now: UnixTime) -> Result<Option<i64>, StoreError> {
    let mut wait = None;
    for key in &keys.0 {
        if let Some(row) = store.find_throttle(&key.hash).await?
            && row.blocked_at(now)
        {
            wait = wait.max(Some(refusal_wait(&row, now)));
        }
    }
    Ok(wait)
}

/// A login attempt admitted under every key: it holds a slot under each until it ends
/// with [`succeeded`](Self::succeeded), [`failed`](Self::failed) or
/// [`abandoned`](Self::abandoned) (or its lease lapses).
#[must_use = "an admitted attempt holds its slots until it ends"]
pub struct Attempt<'k> {
    keys: &'k Keys,
    now: UnixTime,
}

/// Admits a login attempt under every key, waiting up to [`WAIT`] for attempts in
/// flight when there is no room (see the module's documentation). `Err(seconds)`: the
/// attempt is refused, and may be tried again in that many seconds.
pub async fn admit<'k>(
    store: &dyn Store,
    keys: &'k Keys,
    now: UnixTime,
) -> Result<Result<Attempt<'k>, i64>, StoreError> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut pause = FIRST_PAUSE;
    loop {
        if let Some(wait) = retry_after(store, keys, now).await? {
            return Ok(Err(wait));
        }
        let Some(full) = try_admit(store, keys, now).await? else {
            return Ok(Ok(Attempt { keys, now }));
        };
        // Wait, with reads only, until the key that was full has room or is blocked.
        loop {
            if tokio::time::Instant::now() + pause > deadline {
                let row = store.find_throttle(&full.hash).await?;
                tracing::warn!(wait = ?WAIT, "a login found its account or address busy for too long: refused");
                return Ok(Err(row.map_or(1, |row| refusal_wait(&row, now))));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
            match store.find_throttle(&full.hash).await? {
                Some(row) if !row.blocked_at(now) && !has_room(&row, full.threshold, now) => {}
                _ => break,
            }
        }
    }
}

/// Takes a slot under every key, or none: the key that had no room, if one had none.
async fn try_admit<'k>(store: &dyn Store, keys: &'k Keys, now: UnixTime) -> Result<Option<&'k Key>, StoreError> {
    for (i, key) in keys.0.iter().enumerate() {
        if store.begin_attempt(&key.hash, key.threshold, now, now - WINDOW, now + LEASE).await?.is_none() {
            for taken in &keys.0[..i] {
                store.end_attempt(&taken.hash, None).await?;
            }
            return Ok(Some(key));
        }
    }
    Ok(None)
}

impl Attempt<'_> {
    /// The password was right: the account's failures and block are forgotten, and
    /// the address's count stays as it was (a busy shared address is not blocked by
    /// its successes, nor cleared by them).
    pub async fn succeeded(self, store: &dyn Store) -> Result<(), StoreError> {
        for key in &self.keys.0 {
            if key.account {
                store.clear_throttle(&key.hash, self.now).await?;
            } else {
                store.end_attempt(&key.hash, None).await?;
            }
        }
        Ok(())
    }

    /// The login failed (unknown user, wrong password, disabled user): the failure is
    /// counted under every key, and a key that reached its threshold is blocked, before
    /// the attempt's slot under it is given back.
    pub async fn failed(self, store: &dyn Store) -> Result<(), StoreError> {
        for key in &self.keys.0 {
            let failures = store.count_failure(&key.hash, self.now, self.now - WINDOW).await?;
            let block_until = block_for(failures, key.threshold).map(|block| self.now + block);
            store.end_attempt(&key.hash, block_until).await?;
        }
        Ok(())
    }

    /// The check itself could not be made (the store failed): the slots are given
    /// back and nothing is counted, since nobody learnt anything.
    pub async fn abandoned(self, store: &dyn Store) -> Result<(), StoreError> {
        for key in &self.keys.0 {
            store.end_attempt(&key.hash, None).await?;
        }
        Ok(())
    }
}

/// Whether an attempt under a key with `row` and `threshold` would be admitted at
/// `now`, block aside: the rule [`Throttles::begin_attempt`](crate::store::Throttles::begin_attempt)
/// applies atomically, checked here only to know when to try again.
fn has_room(row: &ThrottleRow, threshold: i64, now: UnixTime) -> bool {
    let failures = if row.window_start < now - WINDOW { 0 } else { row.failures };
    row.in_flight_at(now) < allowance(failures, threshold)
}

/// How many attempts may be checked at once after `failures`: as many as may still
/// fail before the block begins, and one at a time once blocks have begun.
fn allowance(failures: i64, threshold: i64) -> i64 {
    if failures < threshold { threshold - failures } else { 1 }
}

/// How long a refused attempt is told to wait: until the block ends, or else until
/// the attempts in flight have certainly ended or lapsed; at least a second.
fn refusal_wait(row: &ThrottleRow, now: UnixTime) -> i64 {
    let until = if row.blocked_at(now) { row.blocked_until.unwrap_or(now) } else { row.in_flight_until };
    (until - now).max(1)
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

    #[test]
    fn as_many_are_checked_at_once_as_may_still_fail() {
        assert_eq!(allowance(0, 5), 5);
        assert_eq!(allowance(4, 5), 1);
        assert_eq!(allowance(5, 5), 1);
        assert_eq!(allowance(9, 5), 1);
        let row = |failures, window_start, in_flight, in_flight_until| ThrottleRow {
            key: vec![0; 32],
            failures,
            window_start,
            blocked_until: None,
            in_flight,
            in_flight_until,
        };
        let now = 10_000;
        assert!(has_room(&row(3, now, 1, now + LEASE), 5, now));
        assert!(!has_room(&row(3, now, 2, now + LEASE), 5, now));
        assert!(has_room(&row(3, now, 2, now), 5, now), "a lapsed lease holds nothing");
        assert!(has_room(&row(5, now - WINDOW - 1, 4, now + 1), 5, now), "an old window counts nothing");
    }
}
