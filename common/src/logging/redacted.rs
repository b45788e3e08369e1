//! A layer that hands its inner layer (text, JSON or the journal) each event with every
//! registered secret replaced (`crate::redaction`): the one place every log line passes,
//! whatever text in it carries the secret.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::redaction;

/// `inner`, fed redacted events.
pub(super) struct Redacted<L> {
    inner: L,
}

impl<L> Redacted<L> {
    pub(super) fn new(inner: L) -> Self {
        Redacted { inner }
    }
}

/// A field's value as recorded: numbers stay numbers, text is redacted.
enum Recorded {
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
    /// A string field (quoted by the text format, as before).
    Str(String),
    /// Anything formatted (the message, `Display` and `Debug` values, errors).
    Formatted(String),
}

/// The event's values, in the order of its fields.
struct Collect {
    values: Vec<Option<Recorded>>,
    changed: bool,
}

impl Collect {
    fn put(&mut self, field: &Field, value: Recorded) {
        if let Some(slot) = self.values.get_mut(field.index()) {
            *slot = Some(value);
        }
    }

    fn text(&mut self, text: String) -> String {
        match redaction::redact(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(clean) => {
                self.changed = true;
                clean
            }
        }
    }
}

impl Visit for Collect {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Recorded::I64(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Recorded::U64(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Recorded::F64(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Recorded::Bool(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let value = self.text(value.to_string());
        self.put(field, Recorded::Str(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let value = self.text(format!("{value:?}"));
        self.put(field, Recorded::Formatted(value));
    }
}

/// A formatted value written back as it was formatted, without quotes.
struct Verbatim<'a>(&'a str);

impl fmt::Debug for Verbatim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl<S, L> Layer<S> for Redacted<L>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn register_callsite(
        &self,
        metadata: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        self.inner.on_new_span(attrs, id, ctx);
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        self.inner.on_record(id, values, ctx);
    }

    fn on_enter(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if !redaction::any() {
            return self.inner.on_event(event, ctx);
        }
        let fields = event.metadata().fields();
        let mut collect = Collect {
            values: (0..fields.len()).map(|_| None).collect(),
            changed: false,
        };
        event.record(&mut collect);
        if !collect.changed {
            return self.inner.on_event(event, ctx);
        }
        let verbatim: Vec<Option<tracing::field::DebugValue<Verbatim<'_>>>> = collect
            .values
            .iter()
            .map(|v| match v {
                Some(Recorded::Formatted(text)) => Some(tracing::field::debug(Verbatim(text))),
                _ => None,
            })
            .collect();
        let values: Vec<Option<&dyn tracing::Value>> = collect
            .values
            .iter()
            .zip(&verbatim)
            .map(|(recorded, verbatim)| -> Option<&dyn tracing::Value> {
                match (recorded, verbatim) {
                    (Some(Recorded::I64(v)), _) => Some(v),
                    (Some(Recorded::U64(v)), _) => Some(v),
                    (Some(Recorded::F64(v)), _) => Some(v),
                    (Some(Recorded::Bool(v)), _) => Some(v),
                    (Some(Recorded::Str(v)), _) => Some(v),
                    (Some(Recorded::Formatted(_)), Some(v)) => Some(v),
                    _ => None,
                }
            })
            .collect();
        let values = fields.value_set_all(&values);
        let clean = match event.parent() {
            Some(parent) => Event::new_child_of(parent.clone(), event.metadata(), &values),
            None if event.is_root() => Event::new_child_of(None, event.metadata(), &values),
            None => Event::new(event.metadata(), &values),
        };
        self.inner.on_event(&clean, ctx);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Everything a format layer wrote.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn log_with_a_secret() {
        let url = "http://127.0.0.1/botLAYER-SECRET-1/sendMessage";
        tracing::warn!(url, attempt = 2, "HTTP 500 from {url}; retrying");
        tracing::error!(error = %format!("quoted: LAYER-SECRET-1"), "the answer");
    }

    #[test]
    fn every_format_shows_a_secret_by_its_name_and_keeps_the_other_fields() {
        redaction::register("layer_test_token", "LAYER-SECRET-1");
        let text = Captured::default();
        let writer = text.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false);
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(Redacted::new(layer)),
            log_with_a_secret,
        );
        let json = Captured::default();
        let writer = json.clone();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(move || writer.clone());
        tracing::subscriber::with_default(
            tracing_subscriber::registry().with(Redacted::new(layer)),
            log_with_a_secret,
        );
        for (format, out) in [("text", text.text()), ("json", json.text())] {
            assert!(!out.contains("LAYER-SECRET-1"), "{format}: {out}");
            assert_eq!(
                out.matches("<layer_test_token>").count(),
                3,
                "{format}: {out}"
            );
            assert!(out.contains("attempt"), "{format}: {out}");
        }
        assert!(
            text.text()
                .contains("HTTP 500 from http://127.0.0.1/bot<layer_test_token>/sendMessage; retrying url=\"http://127.0.0.1/bot<layer_test_token>/sendMessage\" attempt=2"),
            "the message unquoted, a string field quoted, a number as it was: {}",
            text.text()
        );
    }
}
