//! The server's logs in tests. [`init`]: with `TEST_LOG` set to a log filter (`debug`,
//! or per target like `gatehouse=debug,info`), every test process logs through the
//! test writer, so a failing test shows what the server said. [`Captured`]: each
//! [`TestApp`](super::TestApp) keeps what its own server logged, for assertions; it is
//! the server task's subscriber (which its connections inherit), so tests running in
//! parallel in one process never see each other's lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex, Once};

use tracing::instrument::WithSubscriber;
use tracing::{Dispatch, Level};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the `TEST_LOG` subscriber, once per process; nothing without `TEST_LOG`.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let Some(filter) = test_log_filter() else { return };
        let layer = tracing_subscriber::fmt::layer().with_test_writer().with_ansi(false).with_filter(filter);
        tracing_subscriber::registry().with(layer).try_init().expect("no other subscriber is installed");
    });
}

fn test_log_filter() -> Option<Targets> {
    let spec = std::env::var("TEST_LOG").ok()?;
    Some(spec.parse().unwrap_or_else(|e| panic!("TEST_LOG={spec:?} is not a log filter: {e}")))
}

/// What one server logged, as `gatehouse` prints it to a terminal (without colours):
/// every level of gatehouse's own lines, and other crates' from `info` up. It also
/// remembers how much of it [`Captured::new_lines`] has handed out.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>, Arc<Mutex<usize>>);

/// One line written to a [`Captured`]; the formatter writes each event at once.
pub(crate) struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// A subscriber that writes here (and, with `TEST_LOG`, to the test output too).
    pub(crate) fn dispatch(&self) -> Dispatch {
        let buffer = self.0.clone();
        let filter = Targets::new().with_target("gatehouse", Level::TRACE).with_default(Level::INFO);
        let captured = tracing_subscriber::fmt::layer()
            .with_writer(move || Writer(buffer.clone()))
            .with_ansi(false)
            .with_filter(filter);
        let shown = test_log_filter()
            .map(|filter| tracing_subscriber::fmt::layer().with_test_writer().with_ansi(false).with_filter(filter));
        Dispatch::new(tracing_subscriber::registry().with(captured).with(shown))
    }

    /// Spawns `task` (a server) logging here.
    pub(crate) fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        tokio::spawn(task.with_subscriber(self.dispatch()))
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines logged since the last call, parsed.
    pub(crate) fn new_lines(&self) -> Vec<Line> {
        let text = self.text();
        let mut seen = self.1.lock().unwrap();
        let new = text[*seen..].lines().map(Line::parse).collect();
        *seen = text.len();
        new
    }

    /// The one line at `info` or above logged since the last look (lines at `debug`
    /// and `trace` are not counted); fails if there is none or more than one.
    pub(crate) fn one_line(&self) -> Line {
        let lines: Vec<Line> =
            self.new_lines().into_iter().filter(|l| !["DEBUG", "TRACE"].contains(&&*l.level)).collect();
        assert_eq!(lines.len(), 1, "exactly one line at info or above: {lines:#?}");
        lines.into_iter().next().unwrap()
    }

    /// The one refusal logged since the last look, which must be the only line at
    /// `info` or above, be at `info`, and say this endpoint, client and error.
    pub(crate) fn one_refusal(&self, endpoint: &str, client: Option<&str>, error: Option<&str>) -> Line {
        let line = self.one_line();
        assert_eq!((&*line.level, &*line.target), ("INFO", "gatehouse::http::refusal"), "{line:#?}");
        assert_eq!(line.field("endpoint"), Some(endpoint), "{line:#?}");
        assert_eq!(line.field("client"), client, "{line:#?}");
        assert_eq!(line.field("error"), error, "{line:#?}");
        assert!(line.message.starts_with("refused: "), "{line:#?}");
        line
    }

    /// Asserts that none of `secrets` appears anywhere in what was logged.
    pub(crate) fn assert_absent(&self, secrets: &[&str]) {
        let text = self.text();
        for secret in secrets {
            assert!(!secret.is_empty() && !text.contains(secret), "{secret:?} was logged:\n{text}");
        }
    }
}

/// The fields a gatehouse line may end with.
const FIELDS: [&str; 8] = ["endpoint", "client", "user", "error", "token", "grant", "sid", "grants_revoked"];

/// A line as the `fmt` formatter writes it: `<time> <LEVEL> <target>: <message> <key>=<value>…`.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) level: String,
    pub(crate) target: String,
    pub(crate) message: String,
    pub(crate) fields: Vec<(String, String)>,
    /// The line as written.
    pub(crate) raw: String,
}

impl Line {
    fn parse(raw: &str) -> Self {
        let mut words = raw.split_whitespace().skip(1);
        let level = words.next().unwrap_or_default().to_owned();
        let target = words.next().unwrap_or_default().trim_end_matches(':').to_owned();
        let rest: Vec<&str> = words.collect();
        let is_field = |w: &&&str| w.split_once('=').is_some_and(|(k, _)| FIELDS.contains(&k));
        let count = rest.iter().rev().take_while(is_field).count();
        let (message, fields) = rest.split_at(rest.len() - count);
        let fields = fields.iter().filter_map(|w| w.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
        Self { level, target, message: message.join(" "), fields, raw: raw.to_owned() }
    }

    /// A field's value.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}
