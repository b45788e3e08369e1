//! alert-scan's tables: the rules, each rule's state between runs, and every firing.

use chrono::{DateTime, Utc};
use common::db::Schema;
use rusqlite::{Connection, OptionalExtension, params};

use crate::rule::{Condition, Cooldown, Rule};
use common::market::interval::UnknownInterval;

/// The tables. `alert_events` keeps its rows when a rule is removed, so it says what the rule
/// was; (rule, bar) is unique, so a rerun or a catch-up run never records a firing twice.
pub const SCHEMA: Schema = Schema {
    component: "alert-scan",
    migrations: &[
        "CREATE TABLE alert_rules (
            -- AUTOINCREMENT: a removed rule's number is never given to a new one, whose
            -- firings would otherwise collide with the old rule's events.
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            symbol TEXT NOT NULL,
            kind TEXT NOT NULL,
            params TEXT NOT NULL,
            interval TEXT NOT NULL CHECK (interval IN ('1minute', '5minute', '15minute', 'day')),
            channels TEXT NOT NULL,
            cooldown_secs INTEGER NOT NULL CHECK (cooldown_secs >= 0),
            enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
            created_at TEXT NOT NULL,
            UNIQUE (symbol, kind, params, interval)
        );
        CREATE TABLE alert_state (
            rule_id INTEGER PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
            armed INTEGER NOT NULL,
            holds INTEGER NOT NULL,
            value REAL,
            threshold REAL,
            bar_ts INTEGER NOT NULL,
            checked_at TEXT NOT NULL,
            fired_at TEXT
        );
        CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            rule_id INTEGER NOT NULL,
            symbol TEXT NOT NULL,
            rule TEXT NOT NULL,
            interval TEXT NOT NULL,
            value REAL NOT NULL,
            threshold REAL NOT NULL,
            price REAL NOT NULL,
            bar_ts INTEGER NOT NULL,
            fired_at TEXT NOT NULL,
            UNIQUE (rule_id, bar_ts)
        );
        CREATE INDEX alert_events_by_time ON alert_events (fired_at);",
        // Any interval: the first table took four by a CHECK. Rebuilt without losing a state
        // or reusing a removed rule's number. The old table is renamed first, which points
        // alert_state at it, so dropping tables never cascades into the states; the rules'
        // AUTOINCREMENT counter moves to the new table.
        "ALTER TABLE alert_rules RENAME TO alert_rules_v1;
        CREATE TABLE alert_rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            symbol TEXT NOT NULL,
            kind TEXT NOT NULL,
            params TEXT NOT NULL,
            interval TEXT NOT NULL,
            channels TEXT NOT NULL,
            cooldown_secs INTEGER NOT NULL CHECK (cooldown_secs >= 0),
            enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
            created_at TEXT NOT NULL,
            UNIQUE (symbol, kind, params, interval)
        );
        INSERT INTO alert_rules SELECT * FROM alert_rules_v1;
        DELETE FROM sqlite_sequence WHERE name = 'alert_rules';
        UPDATE sqlite_sequence SET name = 'alert_rules' WHERE name = 'alert_rules_v1';
        CREATE TABLE alert_state_v2 (
            rule_id INTEGER PRIMARY KEY REFERENCES alert_rules (id) ON DELETE CASCADE,
            armed INTEGER NOT NULL,
            holds INTEGER NOT NULL,
            value REAL,
            threshold REAL,
            bar_ts INTEGER NOT NULL,
            checked_at TEXT NOT NULL,
            fired_at TEXT
        );
        INSERT INTO alert_state_v2 SELECT * FROM alert_state;
        DROP TABLE alert_state;
        DROP TABLE alert_rules_v1;
        ALTER TABLE alert_state_v2 RENAME TO alert_state;",
    ],
    adopted: None,
};

fn rule_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Rule> {
    let bad = |i: usize, e: String| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            Box::<dyn std::error::Error + Send + Sync>::from(e),
        )
    };
    let kind: String = row.get(2)?;
    let params: String = row.get(3)?;
    let interval: String = row.get(4)?;
    let channels: String = row.get(5)?;
    Ok(Rule {
        id: row.get(0)?,
        symbol: row.get(1)?,
        condition: Condition::parse(&kind, &params).map_err(|e| bad(2, e))?,
        interval: interval
            .parse()
            .map_err(|e: UnknownInterval| bad(4, e.to_string()))?,
        channels: channels.parse().map_err(|e| bad(5, e))?,
        cooldown: Cooldown(row.get(6)?),
        enabled: row.get(7)?,
    })
}

const RULE_COLUMNS: &str = "id, symbol, kind, params, interval, channels, cooldown_secs, enabled";

/// Every rule, by number.
pub fn rules(conn: &Connection) -> rusqlite::Result<Vec<Rule>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY id"
    ))?;
    stmt.query_map([], rule_from_row)?.collect()
}

/// One rule.
pub fn rule(conn: &Connection, id: i64) -> rusqlite::Result<Option<Rule>> {
    conn.query_row(
        &format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE id = ?1"),
        [id],
        rule_from_row,
    )
    .optional()
}

/// Whether a rule was added or already there (and then updated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A new rule, with its number.
    Added(i64),
    /// The same symbol, kind, parameters and interval existed: its channels, cooldown and
    /// enabled flag were set from the new one.
    Updated(i64),
}

/// Stores `rule`, or updates the rule that watches the same thing.
pub fn save(conn: &Connection, rule: &Rule, now: DateTime<Utc>) -> rusqlite::Result<Saved> {
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM alert_rules WHERE symbol = ?1 AND kind = ?2 AND params = ?3 AND interval = ?4",
            params![
                rule.symbol,
                rule.condition.kind(),
                rule.condition.params(),
                rule.interval.to_string()
            ],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => {
            conn.execute(
                "UPDATE alert_rules SET channels = ?2, cooldown_secs = ?3, enabled = ?4 WHERE id = ?1",
                params![id, rule.channels.to_string(), rule.cooldown.0, rule.enabled],
            )?;
            Ok(Saved::Updated(id))
        }
        None => {
            conn.execute(
                "INSERT INTO alert_rules (symbol, kind, params, interval, channels, cooldown_secs, enabled, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    rule.symbol,
                    rule.condition.kind(),
                    rule.condition.params(),
                    rule.interval.to_string(),
                    rule.channels.to_string(),
                    rule.cooldown.0,
                    rule.enabled,
                    common::runs::timestamp(now)
                ],
            )?;
            Ok(Saved::Added(conn.last_insert_rowid()))
        }
    }
}

/// Removes a rule (its state goes with it; its events stay). False if there was none.
pub fn remove(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM alert_rules WHERE id = ?1", [id])? == 1)
}

/// Turns a rule on or off. False if there was none.
pub fn set_enabled(conn: &Connection, id: i64, enabled: bool) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE alert_rules SET enabled = ?2 WHERE id = ?1",
        params![id, enabled],
    )? == 1)
}

/// What a rule knew after its last evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Whether it may fire: true until it fires, and again once its condition was false.
    pub armed: bool,
    /// Whether the condition held.
    pub holds: bool,
    /// The value and threshold then.
    pub value: Option<f64>,
    /// The threshold.
    pub threshold: Option<f64>,
    /// The bar evaluated.
    pub bar_ts: i64,
    /// When it last fired.
    pub fired_at: Option<DateTime<Utc>>,
}

const STATE_COLUMNS: &str = "rule_id, armed, holds, value, threshold, bar_ts, fired_at";

fn state_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, State)> {
    let fired: Option<String> = r.get(6)?;
    Ok((
        r.get(0)?,
        State {
            armed: r.get(1)?,
            holds: r.get(2)?,
            value: r.get(3)?,
            threshold: r.get(4)?,
            bar_ts: r.get(5)?,
            fired_at: fired.and_then(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }),
        },
    ))
}

/// The state of rule `id`, if it was ever evaluated.
pub fn state(conn: &Connection, id: i64) -> rusqlite::Result<Option<State>> {
    conn.query_row(
        &format!("SELECT {STATE_COLUMNS} FROM alert_state WHERE rule_id = ?1"),
        [id],
        state_from_row,
    )
    .optional()
    .map(|s| s.map(|(_, state)| state))
}

/// Every rule's state, by rule: one query for a scan of thousands of rules.
pub fn states(conn: &Connection) -> rusqlite::Result<std::collections::HashMap<i64, State>> {
    let mut stmt = conn.prepare(&format!("SELECT {STATE_COLUMNS} FROM alert_state"))?;
    stmt.query_map([], state_from_row)?.collect()
}

/// When the rules of each interval were last checked, in Unix seconds: interval → newest
/// `checked_at` of its rules.
pub fn newest_checks(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT r.interval, max(unixepoch(s.checked_at))
         FROM alert_state s JOIN alert_rules r ON r.id = s.rule_id
         GROUP BY r.interval ORDER BY r.interval",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Records rule `id`'s state after an evaluation at `now`.
pub fn save_state(
    conn: &Connection,
    id: i64,
    state: &State,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO alert_state (rule_id, armed, holds, value, threshold, bar_ts, checked_at, fired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (rule_id) DO UPDATE SET armed = excluded.armed, holds = excluded.holds,
             value = excluded.value, threshold = excluded.threshold, bar_ts = excluded.bar_ts,
             checked_at = excluded.checked_at, fired_at = excluded.fired_at",
    )?
    .execute(params![
            id,
            state.armed,
            state.holds,
            state.value,
            state.threshold,
            state.bar_ts,
            common::runs::timestamp(now),
            state.fired_at.map(common::runs::timestamp)
        ],
    )?;
    Ok(())
}

/// One firing.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The rule.
    pub rule_id: i64,
    /// Its symbol.
    pub symbol: String,
    /// What it watches ("RSI(14) above 70").
    pub rule: String,
    /// Its interval.
    pub interval: String,
    /// The indicator's value.
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// The last price.
    pub price: f64,
    /// The bar it fired on (its start, UTC epoch seconds).
    pub bar_ts: i64,
    /// When.
    pub fired_at: DateTime<Utc>,
}

/// Records a firing; false when this rule already fired on this bar.
pub fn record(conn: &Connection, e: &Event) -> rusqlite::Result<bool> {
    Ok(conn.prepare_cached(
        "INSERT INTO alert_events (rule_id, symbol, rule, interval, value, threshold, price, bar_ts, fired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (rule_id, bar_ts) DO NOTHING",
    )?
    .execute(params![
            e.rule_id,
            e.symbol,
            e.rule,
            e.interval,
            e.value,
            e.threshold,
            e.price,
            e.bar_ts,
            common::runs::timestamp(e.fired_at)
        ],
    )? == 1)
}
