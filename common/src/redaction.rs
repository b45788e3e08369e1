//! Secrets kept out of every log line, error and stored row. Each secret the process reads
//! (`crate::credentials`) is registered here; the logging layer, `runs::finish` and the
//! notification outbox pass their text through [`redact`], so a token is hidden whatever
//! carries it: a URL in a reqwest error, a server's answer quoted verbatim, an error chain.

use std::borrow::Cow;
use std::sync::RwLock;

/// A registered secret: the forms it may take in text, and the name that replaces it.
struct Registered {
    forms: Vec<String>,
    placeholder: String,
}

/// Every secret this process holds, longest first so that a secret containing another is
/// replaced whole.
static SECRETS: RwLock<Vec<Registered>> = RwLock::new(Vec::new());

/// Registers credential `name`'s `value`: from now on [`redact`] replaces it, as written or
/// percent-encoded (as it appears inside a URL), with `<name>`.
pub fn register(name: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let mut forms = vec![value.to_string()];
    let encoded = percent_encode(value);
    if encoded != value {
        forms.push(encoded);
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if secrets.iter().any(|s| s.forms[0] == value) {
        return;
    }
    secrets.push(Registered {
        forms,
        placeholder: format!("<{name}>"),
    });
    secrets.sort_by_key(|s| std::cmp::Reverse(s.forms[0].len()));
}

/// `text` with every registered secret replaced by its name.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        for form in &secret.forms {
            if out.contains(form.as_str()) {
                out = Cow::Owned(out.replace(form.as_str(), &secret.placeholder));
            }
        }
    }
    out
}

/// Whether any secret is registered: the logging layer's fast path.
pub(crate) fn any() -> bool {
    !SECRETS.read().unwrap_or_else(|p| p.into_inner()).is_empty()
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_secret_is_replaced_by_its_name_in_any_text_and_encoding() {
        register("redaction_test_token", "12345:AAsecret/x");
        let text =
            "GET http://h/bot12345:AAsecret/x/send failed; url=http://h/?t=12345%3AAAsecret%2Fx";
        assert_eq!(
            redact(text),
            "GET http://h/bot<redaction_test_token>/send failed; url=http://h/?t=<redaction_test_token>"
        );
        assert!(matches!(redact("nothing secret"), Cow::Borrowed(_)));
        assert!(any());
    }
}
