//! Where in the file a TOML error is: the line, and the key written there with its table, so
//! that one journal line is enough to find and fix it.

/// One line: "line N: [table] key: message", since the default multi-line TOML report does not
/// fit a journal line, and its message alone ("expected u32") does not say which key.
pub(super) fn describe(error: &toml::de::Error, text: &str) -> String {
    let message = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else {
        return message;
    };
    let offset = floor_char_boundary(text, span.start);
    let line = text[..offset].matches('\n').count() + 1;
    match key_at(text, offset) {
        Some(key) => match table_before(text, offset) {
            Some(table) => format!("line {line}: {table} {key}: {message}"),
            None => format!("line {line}: {key}: {message}"),
        },
        None => format!("line {line}: {message}"),
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The key an error at `offset` is about: the one assigned just before it on its line (the
/// span is the value), else the one that starts at `offset` (the span is the key itself).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let is_key = |c: char| c.is_ascii_alphanumeric() || "_-.\"'".contains(c);
    let key = match before.rfind('=') {
        Some(eq) => {
            let head = before[..eq].trim_end();
            // After the last character that is not part of a key, whatever its width.
            let start = head
                .char_indices()
                .rev()
                .find(|&(_, c)| !is_key(c))
                .map_or(0, |(i, c)| i + c.len_utf8());
            &head[start..]
        }
        None if before.trim().is_empty() => {
            let rest = &text[offset..];
            let end = rest.find(|c: char| !is_key(c)).unwrap_or(rest.len());
            let after = rest[end..].trim_start();
            if !after.starts_with('=') {
                return None;
            }
            &rest[..end]
        }
        None => return None,
    };
    (!key.is_empty()).then(|| key.to_string())
}

/// The `[table]` header in force at `offset`, if any.
fn table_before(text: &str, offset: usize) -> Option<String> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[..line_start].lines().rev().find_map(|line| {
        let line = line.split('#').next().unwrap_or_default().trim();
        let header = line.starts_with('[')
            && line.ends_with(']')
            && line
                .trim_matches(['[', ']'])
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.\" ".contains(c));
        header.then(|| line.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_after_a_wide_character_is_found_without_panicking() {
        // Found by the config_toml fuzz target: a byte-order mark before a key.
        let found = error("'\u{feff}psooL =#oews\n=u -e\n\n#stDE");
        assert!(found.starts_with("line 1: "), "{found}");
        assert_eq!(
            key_at("\u{feff}key = 1", "\u{feff}key = ".len()),
            Some("key".into())
        );
    }

    fn error(text: &str) -> String {
        match toml::from_str::<super::super::FileLayout>(text) {
            Ok(_) => panic!("{text} was accepted"),
            Err(e) => describe(&e, text),
        }
    }

    #[test]
    fn a_bad_value_names_its_line_table_and_key() {
        assert_eq!(
            error("# c\n[http]\nretries = -1\n"),
            "line 3: [http] retries: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            error("[providers.upstox]\nlimits = [{ requests = 2.5, per_secs = 1.0 }]\n"),
            "line 2: [providers.upstox] requests: invalid type: floating point `2.5`, expected u32"
        );
    }

    #[test]
    fn an_unknown_key_names_itself() {
        let text = error("[http]\nretries = 1\nretry = 2\n");
        assert!(
            text.starts_with("line 3: [http] retry: unknown field `retry`"),
            "{text}"
        );
    }
}
