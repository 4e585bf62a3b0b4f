//! Login throttle counters, per account and per client address: failures in a window,
//! the block they led to, and the attempts being checked right now.
//!
//! Keys are 32-byte hashes made by the caller; nothing a user typed is stored.
//! Each change to the counters is one statement, so that concurrent logins on any
//! instance sharing the database see and change them atomically.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// The counters under one key (an account or a client address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    /// The SHA-256 of `user:<name>` or `ip:<address>`.
    pub key: Vec<u8>,
    /// Failures since `window_start`.
    pub failures: i64,
    /// When the current counting window began.
    pub window_start: UnixTime,
    /// Logins under this key are refused until then.
    pub blocked_until: Option<UnixTime>,
    /// Attempts admitted and not yet ended: their passwords are being checked.
    pub in_flight: i64,
    /// When `in_flight` lapses: an attempt that never ends (its instance died) is
    /// forgotten then.
    pub in_flight_until: UnixTime,
}

impl_from_row!(ThrottleRow { key, failures, window_start, blocked_until, in_flight, in_flight_until });

impl ThrottleRow {
    /// Whether a login under this key is refused at `now`.
    pub fn blocked_at(&self, now: UnixTime) -> bool {
        self.blocked_until.is_some_and(|until| until > now)
    }

    /// The attempts in flight at `now`, once a lapsed lease is taken into account.
    pub fn in_flight_at(&self, now: UnixTime) -> i64 {
        if self.in_flight_until <= now { 0 } else { self.in_flight.max(0) }
    }
}

/// The login throttle's counters.
#[async_trait]
pub trait Throttles {
    /// The counters under `key`.
    async fn find_throttle(&self, key: &[u8]) -> StoreResult<Option<ThrottleRow>>;
    /// Admits one attempt under `key`, atomically, if the key is not blocked at `now`
    /// and fewer attempts are in flight than it allows: `threshold` minus its
    /// failures, and one once the failures reach the threshold. A window that began
    /// before `window_cutoff` starts again from no failures; the in-flight count, if
    /// its lease has lapsed, from none. The lease of the key's attempts in flight is
    /// extended to `lease_until`. The row afterwards, or `None` if not admitted.
    async fn begin_attempt(
        &self,
        key: &[u8],
        threshold: i64,
        now: UnixTime,
        window_cutoff: UnixTime,
        lease_until: UnixTime,
    ) -> StoreResult<Option<ThrottleRow>>;
    /// Counts a failure under `key` (in a new window if the current one began before
    /// `window_cutoff`) and returns the failures now counted. The failed attempt stays
    /// in flight until [`end_attempt`](Self::end_attempt), so that nothing is admitted
    /// on a count whose block is not set yet.
    async fn count_failure(&self, key: &[u8], now: UnixTime, window_cutoff: UnixTime) -> StoreResult<i64>;
    /// Ends one attempt under `key`, blocking the key until `block_until` if that is
    /// later than the block it has.
    async fn end_attempt(&self, key: &[u8], block_until: Option<UnixTime>) -> StoreResult<()>;
    /// Ends one attempt under `key` that succeeded: its failures and block are
    /// forgotten, and the row goes once no other attempt is in flight at `now`.
    async fn clear_throttle(&self, key: &[u8], now: UnixTime) -> StoreResult<()>;
}

#[async_trait]
impl Throttles for SqlStore {
    async fn find_throttle(&self, key: &[u8]) -> StoreResult<Option<ThrottleRow>> {
        let sql = "select key, failures, window_start, blocked_until, in_flight, in_flight_until \
                   from login_throttle where key = $1";
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(key).fetch_optional(db).await)?)
    }

    async fn begin_attempt(
        &self,
        key: &[u8],
        threshold: i64,
        now: UnixTime,
        window_cutoff: UnixTime,
        lease_until: UnixTime,
    ) -> StoreResult<Option<ThrottleRow>> {
        // One upsert: the conflicting row is locked and the condition checked on it,
        // so that of concurrent attempts only as many as allowed are admitted.
        let sql = "insert into login_throttle as t \
                     (key, failures, window_start, blocked_until, in_flight, in_flight_until) \
                   values ($1, 0, $3, null, 1, $5) \
                   on conflict (key) do update set \
                     failures = case when t.window_start < $4 then 0 else t.failures end, \
                     window_start = case when t.window_start < $4 then $3 else t.window_start end, \
                     in_flight = case when t.in_flight_until <= $3 then 1 else t.in_flight + 1 end, \
                     in_flight_until = $5 \
                   where (t.blocked_until is null or t.blocked_until <= $3) \
                     and case when t.in_flight_until <= $3 then 0 else t.in_flight end \
                       < case when t.window_start < $4 then $2 \
                              when t.failures < $2 then $2 - t.failures \
                              else 1 end \
                   returning key, failures, window_start, blocked_until, in_flight, in_flight_until";
        Ok(on_pool!(self, db => sqlx::query_as(sql)
            .bind(key)
            .bind(threshold)
            .bind(now)
            .bind(window_cutoff)
            .bind(lease_until)
            .fetch_optional(db)
            .await)?)
    }

    async fn count_failure(&self, key: &[u8], now: UnixTime, window_cutoff: UnixTime) -> StoreResult<i64> {
        // An upsert, should the row have been swept meanwhile.
        let sql = "insert into login_throttle as t \
                     (key, failures, window_start, blocked_until, in_flight, in_flight_until) \
                   values ($1, 1, $2, null, 0, $2) \
                   on conflict (key) do update set \
                     failures = case when t.window_start < $3 then 1 else t.failures + 1 end, \
                     window_start = case when t.window_start < $3 then $2 else t.window_start end \
                   returning failures";
        let (failures,): (i64,) =
            on_pool!(self, db => sqlx::query_as(sql).bind(key).bind(now).bind(window_cutoff).fetch_one(db).await)?;
        Ok(failures)
    }

    async fn end_attempt(&self, key: &[u8], block_until: Option<UnixTime>) -> StoreResult<()> {
        // Never below zero: a lapsed lease may have reset the count meanwhile. With no
        // new block, `$2` is null and the current block stays.
        let sql = "update login_throttle set \
                     in_flight = case when in_flight > 0 then in_flight - 1 else 0 end, \
                     blocked_until = case when blocked_until is null or blocked_until < $2 then $2 \
                                          else blocked_until end \
                   where key = $1";
        execute!(self, sqlx::query(sql).bind(key).bind(block_until))?;
        Ok(())
    }

    async fn clear_throttle(&self, key: &[u8], now: UnixTime) -> StoreResult<()> {
        let sql = "update login_throttle set \
                     in_flight = case when in_flight > 0 then in_flight - 1 else 0 end, \
                     failures = 0, blocked_until = null \
                   where key = $1";
        execute!(self, sqlx::query(sql).bind(key))?;
        // Gone only when idle, so that attempts still in flight keep their count.
        let idle = "delete from login_throttle where key = $1 and failures = 0 and blocked_until is null \
                    and (in_flight <= 0 or in_flight_until <= $2)";
        execute!(self, sqlx::query(idle).bind(key).bind(now))?;
        Ok(())
    }
}
