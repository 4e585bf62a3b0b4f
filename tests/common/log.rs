//! The server's logs in a test's output: with `TEST_LOG` set to a log filter
//! (`debug`, or per target like `gatehouse=debug,info`), every test process logs
//! through the test writer, so a failing test shows what the server said.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Once;

use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the `TEST_LOG` subscriber, once per process; nothing without `TEST_LOG`.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let Ok(spec) = std::env::var("TEST_LOG") else { return };
        let filter: Targets = spec.parse().unwrap_or_else(|e| panic!("TEST_LOG={spec:?} is not a log filter: {e}"));
        let layer = tracing_subscriber::fmt::layer().with_test_writer().with_ansi(false).with_filter(filter);
        tracing_subscriber::registry().with(layer).try_init().expect("no other subscriber is installed");
    });
}
