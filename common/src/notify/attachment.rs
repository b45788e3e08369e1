//! Files a notification carries (the performance chart): stored beside the outbox row in
//! `notification_attachments`, sent by email only.

use lettre::message::header::ContentType;
use rusqlite::{Connection, params};

/// The most a notification may carry, all attachments together: mail servers commonly refuse
/// messages over 10 MiB, and base64 adds a third.
pub const MAX_TOTAL: usize = 5 * 1024 * 1024;

/// One file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees (`performance-2026-11-27.png`).
    pub name: String,
    /// The MIME type (`image/png`).
    pub mime: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Why an attachment was refused.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// Over [`MAX_TOTAL`] with the others.
    #[error(
        "attachment {name}: the attachments would take {total} bytes, over the 5 MiB a notification may carry; attach a smaller file"
    )]
    TooLarge {
        /// The file refused.
        name: String,
        /// The total it would have made.
        total: usize,
    },
    /// Not a MIME type.
    #[error("attachment {name}: `{mime}` is not a MIME type; give one such as image/png")]
    Mime {
        /// The file refused.
        name: String,
        /// The type given.
        mime: String,
    },
}

/// A notification's attachments, [`MAX_TOTAL`] at most together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachments(Vec<Attachment>);

impl Attachments {
    /// Adds `a`, unless its type is not a MIME type or it would take the total over
    /// [`MAX_TOTAL`].
    pub fn add(&mut self, a: Attachment) -> Result<(), AttachmentError> {
        if ContentType::parse(&a.mime).is_err() {
            return Err(AttachmentError::Mime {
                name: a.name,
                mime: a.mime,
            });
        }
        let total = self.total() + a.bytes.len();
        if total > MAX_TOTAL {
            return Err(AttachmentError::TooLarge {
                name: a.name,
                total,
            });
        }
        self.0.push(a);
        Ok(())
    }

    /// The files, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Attachment> {
        self.0.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn total(&self) -> usize {
        self.0.iter().map(|a| a.bytes.len()).sum()
    }
}

/// Stores `attachments` for the outbox row `outbox_id`.
pub(crate) fn store(
    conn: &Connection,
    outbox_id: i64,
    attachments: &Attachments,
) -> rusqlite::Result<()> {
    for (position, a) in attachments.iter().enumerate() {
        conn.execute(
            "INSERT INTO notification_attachments (outbox_id, position, name, mime, bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![outbox_id, position as i64, a.name, a.mime, a.bytes],
        )?;
    }
    Ok(())
}

/// The attachments of the outbox row `outbox_id`, in the order added.
pub(crate) fn load(conn: &Connection, outbox_id: i64) -> rusqlite::Result<Attachments> {
    let mut stmt = conn.prepare(
        "SELECT name, mime, bytes FROM notification_attachments WHERE outbox_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([outbox_id], |r| {
        Ok(Attachment {
            name: r.get(0)?,
            mime: r.get(1)?,
            bytes: r.get(2)?,
        })
    })?;
    rows.collect::<rusqlite::Result<_>>().map(Attachments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, len: usize) -> Attachment {
        Attachment {
            name: name.to_string(),
            mime: "image/png".to_string(),
            bytes: vec![0; len],
        }
    }

    #[test]
    fn the_total_is_bounded_and_the_type_checked() {
        let mut a = Attachments::default();
        a.add(file("a.png", MAX_TOTAL - 1)).unwrap();
        a.add(file("b.png", 1)).unwrap();
        let refused = a.add(file("c.png", 1)).unwrap_err();
        assert!(
            matches!(&refused, AttachmentError::TooLarge { name, total } if name == "c.png" && *total == MAX_TOTAL + 1),
            "{refused}"
        );
        let mut bad = file("d.png", 1);
        bad.mime = "not a type".to_string();
        assert!(matches!(
            Attachments::default().add(bad),
            Err(AttachmentError::Mime { .. })
        ));
        assert_eq!(a.iter().count(), 2);
    }
}
