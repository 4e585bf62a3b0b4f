//! The one source of time. Protocol code takes `now` as a parameter; the app
//! holds a [`Clock`] so that tests can move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Seconds since the Unix epoch, the unit of every time gatehouse stores.
pub type UnixTime = i64;

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current time in whole Unix seconds.
    fn now(&self) -> UnixTime;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that may read the system time
    fn now(&self) -> UnixTime {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// A clock that stands still until told to move; clones share one time.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    /// A clock that starts at `start`.
    pub fn at(start: UnixTime) -> Self {
        Self(Arc::new(AtomicI64::new(start)))
    }

    /// A clock that starts at the current wall-clock time, so that tokens it
    /// stamps look plausible to relying-party libraries that use real time.
    pub fn starting_now() -> Self {
        Self::at(SystemClock.now())
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the time to `to`.
    pub fn set(&self, to: UnixTime) {
        self.0.store(to, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_only_when_told_and_clones_share_time() {
        let clock = TestClock::at(1_000);
        let other = clock.clone();
        assert_eq!(clock.now(), 1_000);
        other.advance(Duration::from_secs(61));
        assert_eq!(clock.now(), 1_061);
        clock.set(5);
        assert_eq!(other.now(), 5);
    }
}
