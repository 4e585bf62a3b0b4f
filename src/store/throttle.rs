//! Counters of failed logins, per account and per client address, under keys that
//! are 32-byte hashes made by the caller: nothing a user typed is stored.

use async_trait::async_trait;

use super::StoreResult;
use super::sql::{SqlStore, execute, impl_from_row, on_pool};
use crate::clock::UnixTime;

/// Failed logins counted under one key (an account or a client address).
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
}

impl_from_row!(ThrottleRow { key, failures, window_start, blocked_until });

/// The login throttle's counters.
#[async_trait]
pub trait Throttles {
    /// The throttle counters under `key`.
    async fn find_throttle(&self, key: &[u8]) -> StoreResult<Option<ThrottleRow>>;
    /// Counts one login attempt under `key`, atomically, starting a new window if the
    /// current one began before `window_cutoff`. Returns the row after the update.
    async fn count_attempt(&self, key: &[u8], now: UnixTime, window_cutoff: UnixTime) -> StoreResult<ThrottleRow>;
    /// Takes back one counted attempt (one that was refused, or succeeded).
    async fn uncount_attempt(&self, key: &[u8]) -> StoreResult<()>;
    /// Blocks `key` until `until` if it is not blocked at `now`, atomically: of
    /// concurrent callers, one claims the block. True for that one.
    async fn claim_block(&self, key: &[u8], now: UnixTime, until: UnixTime) -> StoreResult<bool>;
    /// Forgets the failures under `key` (after a successful login).
    async fn clear_throttle(&self, key: &[u8]) -> StoreResult<()>;
}

#[async_trait]
impl Throttles for SqlStore {
    async fn find_throttle(&self, key: &[u8]) -> StoreResult<Option<ThrottleRow>> {
        let sql = "select key, failures, window_start, blocked_until from login_throttle where key = $1";
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(key).fetch_optional(db).await)?)
    }

    async fn count_attempt(&self, key: &[u8], now: UnixTime, window_cutoff: UnixTime) -> StoreResult<ThrottleRow> {
        // One statement, so that concurrent failures all count.
        let sql = "insert into login_throttle as t (key, failures, window_start) values ($1, 1, $2) \
                   on conflict (key) do update set \
                     failures = case when t.window_start < $3 then 1 else t.failures + 1 end, \
                     window_start = case when t.window_start < $3 then $2 else t.window_start end \
                   returning key, failures, window_start, blocked_until";
        Ok(on_pool!(self, db => sqlx::query_as(sql).bind(key).bind(now).bind(window_cutoff).fetch_one(db).await)?)
    }

    async fn uncount_attempt(&self, key: &[u8]) -> StoreResult<()> {
        let sql = "update login_throttle set failures = failures - 1 where key = $1 and failures > 0";
        execute!(self, sqlx::query(sql).bind(key))?;
        Ok(())
    }

    async fn claim_block(&self, key: &[u8], now: UnixTime, until: UnixTime) -> StoreResult<bool> {
        let sql = "update login_throttle set blocked_until = $3 \
                   where key = $1 and (blocked_until is null or blocked_until <= $2)";
        let done = execute!(self, sqlx::query(sql).bind(key).bind(now).bind(until))?;
        Ok(done > 0)
    }

    async fn clear_throttle(&self, key: &[u8]) -> StoreResult<()> {
        execute!(self, sqlx::query("delete from login_throttle where key = $1").bind(key))?;
        Ok(())
    }
}
