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

/// Another clock plus an offset that only grows: `gatehouse dev`'s clock (over the
/// wall clock), which its control API moves forward as if that time had passed.
pub struct OffsetClock {
    base: Arc<dyn Clock>,
    offset: AtomicI64,
}

impl OffsetClock {
    /// `base`'s time, until moved forward.
    pub fn over(base: Arc<dyn Clock>) -> Self {
        Self { base, offset: AtomicI64::new(0) }
    }

    /// Moves time forward by `by` (never back); returns the new time.
    pub fn advance(&self, by: Duration) -> UnixTime {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let before = self.offset.fetch_add(secs, Ordering::SeqCst);
        self.base.now().saturating_add(before.saturating_add(secs))
    }

    /// How far ahead of its base clock this clock runs, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for OffsetClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetClock").field("offset", &self.offset()).finish_non_exhaustive()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> UnixTime {
        self.base.now().saturating_add(self.offset())
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

    #[test]
    fn offset_clock_runs_ahead_of_its_base() {
        let base = TestClock::at(1_000);
        let clock = OffsetClock::over(Arc::new(base.clone()));
        assert_eq!(clock.advance(Duration::from_secs(90)), 1_090);
        base.advance(Duration::from_secs(10));
        assert_eq!((clock.now(), clock.offset()), (1_100, 90));
    }
}
