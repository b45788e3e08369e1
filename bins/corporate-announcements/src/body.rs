//! A source's answer read as JSON rows, refusing what is not: an HTML page instead of JSON
//! (NSE's error and bot pages), a body that is not JSON, rows without a field the parser needs
//! (a renamed field is named in the error). `"-"`, `""` and `null` are missing values; `[]`
//! is a valid answer.

use serde_json::{Map, Value};

/// Why a body was refused: one line, naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// An HTML page where JSON was expected.
    #[error(
        "an HTML page instead of JSON (\"{0}\"); the source may have refused this host or moved the endpoint"
    )]
    Html(String),
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not the expected shape.
    #[error("{0}")]
    Shape(String),
    /// A row without a field the parser needs.
    #[error(
        "row {row}: field `{field}` is missing (renamed by the source?); nothing of this source was stored"
    )]
    MissingField {
        /// 1-based row number.
        row: usize,
        /// The field's name as the source spelled it before.
        field: &'static str,
    },
    /// A field whose value cannot be read.
    #[error("row {row}: field `{field}` = \"{value}\": {expected}")]
    BadValue {
        /// 1-based row number.
        row: usize,
        /// The field.
        field: &'static str,
        /// The value, cut short.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

/// One row of a source's answer, with its number for errors.
pub struct Row<'a> {
    /// 1-based.
    pub number: usize,
    fields: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    /// The field's text: `None` when it is `"-"`, empty or `null`; an error when the row has
    /// no such field at all.
    pub fn text(&self, field: &'static str) -> Result<Option<String>, BodyError> {
        let value = self.fields.get(field).ok_or(BodyError::MissingField {
            row: self.number,
            field,
        })?;
        Ok(match value {
            Value::Null => None,
            Value::String(s) => {
                let s = s.trim();
                (!s.is_empty() && s != "-").then(|| s.to_string())
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(_) | Value::Object(_) => {
                return Err(self.bad(field, &value.to_string(), "a text or a number"));
            }
        })
    }

    /// The field's text, which must be there.
    pub fn required(&self, field: &'static str) -> Result<String, BodyError> {
        self.text(field)?
            .ok_or_else(|| self.bad(field, "", "a value (it is empty)"))
    }

    /// The field's date in any of the exchanges' spellings (`crate::record::date`); `example`
    /// names the spelling this source uses, for the error.
    pub fn date(
        &self,
        field: &'static str,
        example: &'static str,
    ) -> Result<Option<chrono::NaiveDate>, BodyError> {
        match self.text(field)? {
            None => Ok(None),
            Some(text) => crate::record::date(&text)
                .map(Some)
                .ok_or_else(|| self.bad(field, &text, example)),
        }
    }

    /// An error about `field`'s `value`.
    pub fn bad(&self, field: &'static str, value: &str, expected: &'static str) -> BodyError {
        BodyError::BadValue {
            row: self.number,
            field,
            value: common::text::excerpt(value, 60),
            expected,
        }
    }

    /// The row as the source sent it, for the `raw_json` column.
    pub fn raw(&self) -> String {
        Value::Object(self.fields.clone()).to_string()
    }
}

/// The body parsed, or why not; HTML recognised before JSON is tried.
pub fn json(body: &[u8]) -> Result<Value, BodyError> {
    let text = String::from_utf8_lossy(body);
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if start.starts_with('<') {
        let gist = start
            .split('<')
            .flat_map(|piece| piece.split_once('>').map(|(_, words)| words.trim()))
            .find(|words| !words.is_empty())
            .unwrap_or("no text");
        return Err(BodyError::Html(common::text::excerpt(gist, 80)));
    }
    serde_json::from_str(start).map_err(|e| BodyError::NotJson(e.to_string()))
}

/// The rows of a JSON array, `what` naming the answer in errors.
pub fn rows<'a>(value: &'a Value, what: &str) -> Result<Vec<Row<'a>>, BodyError> {
    let Value::Array(items) = value else {
        return Err(BodyError::Shape(format!(
            "{what}: expected a JSON array of rows, got {}",
            kind(value)
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(fields) => Ok(Row {
                number: i + 1,
                fields,
            }),
            other => Err(BodyError::Shape(format!(
                "{what}: row {} is {}, not an object",
                i + 1,
                kind(other)
            ))),
        })
        .collect()
}

/// The array under `key` of an object (BSE's `{"Table": [...]}`).
pub fn member<'a>(value: &'a Value, key: &'static str, what: &str) -> Result<&'a Value, BodyError> {
    value.get(key).ok_or_else(|| {
        BodyError::Shape(format!(
            "{what}: no `{key}` in the answer (renamed by the source?), got {}",
            kind(value)
        ))
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_and_quoted() {
        let err = json(b"<html><head><title>Oops</title></head><body>No authorization token was found</body></html>")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "an HTML page instead of JSON (\"Oops\"); the source may have refused this host or moved the endpoint"
        );
    }

    #[test]
    fn dash_empty_and_null_are_missing_and_an_absent_field_is_named() {
        let value = json(br#"[{"a":"-","b":"","c":null,"d":" x ","e":12}]"#).unwrap();
        let rows = rows(&value, "t").unwrap();
        let row = &rows[0];
        for f in ["a", "b", "c"] {
            assert_eq!(row.text(f).unwrap(), None);
        }
        assert_eq!(row.text("d").unwrap().as_deref(), Some("x"));
        assert_eq!(row.text("e").unwrap().as_deref(), Some("12"));
        assert_eq!(
            row.text("subject").unwrap_err().to_string(),
            "row 1: field `subject` is missing (renamed by the source?); nothing of this source was stored"
        );
    }

    #[test]
    fn an_empty_list_is_an_answer_and_other_shapes_are_not() {
        assert!(rows(&json(b"[]").unwrap(), "t").unwrap().is_empty());
        assert!(rows(&json(b"{}").unwrap(), "t").is_err());
        assert!(json(b"").is_err());
        assert!(json(&[0xff, 0xfe]).is_err());
    }
}
