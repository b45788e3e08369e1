//! `upstox-alert-scan rules …`: rules managed from a shell. Every change is checked first and
//! made in one transaction; an import with one bad line stores nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use common::Exit;
use common::files::{ReadError, read_bounded_from};
use common::harness::{self, CommonArgs, Fatal};
use common::market::interval::Interval;
use common::market::universe::Universe;
use rusqlite::Connection;

use crate::job::AlertScan;
use crate::notice;
use crate::rule::{self, Condition, Rule};
use crate::rule::{Channels, Cooldown};
use crate::store::{self, Saved};

/// `rules` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Add a rule (or update the one watching the same symbol, kind, parameters and interval)
    Add {
        /// An NSE symbol (RELIANCE) or instrument key ("NSE_INDEX|Nifty 50")
        symbol: String,
        /// price-above, price-below, rsi-above, rsi-below, volume-spike, macd-cross-up,
        /// macd-cross-down, resistance-break or support-break
        kind: String,
        /// Parameters as key=value (level=2500, period=14, factor=3, fast=12 slow=26 signal=9)
        params: Vec<String>,
        /// Candle interval the rule is computed on
        #[arg(long, default_value = "day")]
        interval: Interval,
        /// Where a firing is told: email, telegram and/or database
        #[arg(long, default_value = "database,email,telegram")]
        channels: Channels,
        /// Least time between two firings: 0, 90s, 30m, 4h, 1d
        #[arg(long, default_value = "30m")]
        cooldown: Cooldown,
        /// Add it switched off
        #[arg(long)]
        disabled: bool,
    },
    /// List the rules with their state
    List,
    /// Remove rules by number (their past alerts stay in alert_events)
    Remove {
        /// Rule numbers, as `rules list` shows them
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Switch rules on
    Enable {
        /// Rule numbers
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Switch rules off
    Disable {
        /// Rule numbers
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Add or update the rules of a CSV file (symbol,kind,params,interval,channels,cooldown,enabled);
    /// nothing is stored unless every line is valid
    Import {
        /// The file ("-" for standard input)
        file: PathBuf,
    },
    /// Write every rule as CSV, in the format import reads
    Export,
}

/// Runs a `rules` subcommand.
pub fn run(args: &CommonArgs, action: &RulesCommand) -> anyhow::Result<()> {
    let open = || harness::open_for_editing::<AlertScan>(args);
    let mut out = std::io::stdout().lock();
    match action {
        RulesCommand::Add {
            symbol,
            kind,
            params,
            interval,
            channels,
            cooldown,
            disabled,
        } => {
            let invalid = |e: String| {
                Fatal::new(
                    Exit::DataErr,
                    format!(
                        "invalid rule: {e}; `upstox-alert-scan rules add --help` lists the kinds and their parameters"
                    ),
                )
            };
            let rule = Rule {
                id: 0,
                symbol: rule::parse_symbol(symbol).map_err(invalid)?,
                condition: Condition::parse(kind, &params.join(" ")).map_err(invalid)?,
                interval: *interval,
                channels: channels.clone(),
                cooldown: *cooldown,
                enabled: !disabled,
            };
            if args.dry_run {
                writeln!(out, "valid (dry run, not stored): {}", one_line(&rule))?;
                return Ok(());
            }
            let conn = open()?;
            if let Some(why) = unknown_symbol(&conn, &rule.symbol)? {
                return Err(invalid(why).into());
            }
            match store::save(&conn, &rule, Utc::now())? {
                Saved::Added(id) => writeln!(out, "added rule {id}: {}", one_line(&rule))?,
                Saved::Updated(id) => writeln!(
                    out,
                    "rule {id} already watches this; its channels, cooldown and switch were updated"
                )?,
            }
        }
        RulesCommand::List => list(&open()?, &mut out)?,
        RulesCommand::Remove { ids } => each(&open()?, ids, "removed", store::remove)?,
        RulesCommand::Enable { ids } => each(&open()?, ids, "enabled", |c, id| {
            store::set_enabled(c, id, true)
        })?,
        RulesCommand::Disable { ids } => each(&open()?, ids, "disabled", |c, id| {
            store::set_enabled(c, id, false)
        })?,
        RulesCommand::Import { file } => {
            let rules = read_file(file)?;
            if args.dry_run {
                writeln!(out, "{} valid rules (dry run, not stored)", rules.len())?;
                return Ok(());
            }
            let mut conn = open()?;
            let mut unknown = Vec::new();
            for rule in &rules {
                if let Some(why) = unknown_symbol(&conn, &rule.symbol)?
                    && !unknown.contains(&why)
                {
                    eprintln!("{}: {why}", file.display());
                    unknown.push(why);
                }
            }
            if !unknown.is_empty() {
                return Err(Fatal::new(
                    Exit::DataErr,
                    format!(
                        "{}: {} unknown symbol(s) (above); nothing was imported: correct them and import the file again",
                        file.display(),
                        unknown.len()
                    ),
                )
                .into());
            }
            let tx = conn.transaction()?;
            let (mut added, mut updated) = (0, 0);
            for rule in &rules {
                match store::save(&tx, rule, Utc::now())? {
                    Saved::Added(_) => added += 1,
                    Saved::Updated(_) => updated += 1,
                }
            }
            tx.commit()?;
            writeln!(
                out,
                "imported {}: {added} added, {updated} already there (updated)",
                file.display()
            )?;
        }
        RulesCommand::Export => {
            let conn = open()?;
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(rule::CSV_HEADER)?;
            for rule in store::rules(&conn)? {
                writer.write_record(rule::to_record(&rule))?;
            }
            writer.flush()?;
        }
    }
    Ok(())
}

/// Why `symbol` cannot be watched, when the database knows the symbols (Upstox's instrument
/// master from market-sync, or nse-index-update's members) and it is not among them. A rule
/// on an unknown symbol would fail every minute's scan. On a fresh install, with no symbols
/// known yet, it is accepted with a warning.
fn unknown_symbol(conn: &Connection, symbol: &str) -> anyhow::Result<Option<String>> {
    let rows = |table: &str| -> rusqlite::Result<i64> {
        let exists: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Ok(0);
        }
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    let mut universe = Universe::default();
    universe.add(&[conn], symbol);
    let Some((_, why)) = universe.unresolved.pop() else {
        return Ok(None);
    };
    if rows("instruments")? + rows("nse_index_membership")? == 0 {
        // Not a run: no log subscriber, so straight to stderr.
        eprintln!(
            "warning: {symbol}: cannot check the symbol yet (no instrument master stored: upstox-market-sync stores it); kept"
        );
        return Ok(None);
    }
    Ok(Some(format!("{symbol}: {why}")))
}

/// A rule on one line: `RELIANCE rsi-above period=14 level=70 (day; email,telegram; 30m)`.
fn one_line(rule: &Rule) -> String {
    format!(
        "{} {} {} ({}; {}; cooldown {}{})",
        rule.symbol,
        rule.condition.kind(),
        rule.condition.params(),
        rule.interval,
        rule.channels,
        rule.cooldown,
        if rule.enabled { "" } else { "; disabled" }
    )
}

fn list(conn: &Connection, out: &mut impl Write) -> anyhow::Result<()> {
    let rules = store::rules(conn)?;
    if rules.is_empty() {
        writeln!(
            out,
            "no rules yet: add one with `upstox-alert-scan rules add RELIANCE rsi-above`"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>4}  {:<12} {:<44} {:<9} {:<23} {:<8} {:<3}  STATE",
        "ID", "SYMBOL", "RULE", "INTERVAL", "CHANNELS", "COOLDOWN", "ON"
    )?;
    for rule in rules {
        let state = match store::state(conn, rule.id)? {
            None => "not evaluated yet".to_string(),
            Some(s) => {
                let mut text = if s.holds { "true" } else { "false" }.to_string();
                if let Some(fired) = s.fired_at {
                    text.push_str(&format!(", last fired {}", notice::ist(fired)));
                }
                if !s.armed {
                    text.push_str(", waits to re-arm");
                }
                text
            }
        };
        writeln!(
            out,
            "{:>4}  {:<12} {:<44} {:<9} {:<23} {:<8} {:<3}  {state}",
            rule.id,
            rule.symbol,
            rule.condition.describe(),
            rule.interval.to_string(),
            rule.channels.to_string(),
            rule.cooldown.to_string(),
            if rule.enabled { "yes" } else { "no" },
        )?;
    }
    Ok(())
}

/// Applies `change` to each rule number; an unknown number is an error, after the others.
fn each(
    conn: &Connection,
    ids: &[i64],
    done: &str,
    change: impl Fn(&Connection, i64) -> rusqlite::Result<bool>,
) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    for &id in ids {
        if change(conn, id)? {
            writeln!(std::io::stdout().lock(), "{done} rule {id}")?;
        } else {
            missing.push(id.to_string());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Fatal::new(
            Exit::DataErr,
            format!(
                "no rule numbered {}: `upstox-alert-scan rules list` shows them",
                missing.join(", ")
            ),
        )
        .into())
    }
}

/// The most a rules file may hold: some 250,000 rules, far more than a desk keeps.
const RULES_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and checks every line of a rules file; any bad line refuses the whole file, with
/// each bad line and its reason on stderr.
fn read_file(file: &Path) -> anyhow::Result<Vec<Rule>> {
    let name = file.display().to_string();
    let read = if name == "-" {
        read_bounded_from(std::io::stdin(), RULES_MAX_BYTES)
    } else {
        std::fs::File::open(file)
            .map_err(ReadError::from)
            .and_then(|f| read_bounded_from(f, RULES_MAX_BYTES))
    };
    let text = read.map_err(|e| match e {
        ReadError::Io(e) => Fatal::new(
            Exit::IoErr,
            format!(
                "cannot read {name}: {e}; check the file's name and that this user can read it"
            ),
        ),
        ReadError::TooLarge { .. } => Fatal::new(
            Exit::DataErr,
            format!(
                "{name} is larger than {} MiB: not a rules file; give rules import the CSV of rules",
                RULES_MAX_BYTES >> 20
            ),
        ),
    })?;
    let (rules, bad) = parse_file(&text);
    for BadLine { line, reason } in &bad {
        eprintln!("{name}:{line}: {reason}");
    }
    let bad = bad.len();
    if bad > 0 {
        return Err(Fatal::new(
            Exit::DataErr,
            format!(
                "{name}: {bad} invalid line{} (above); nothing was imported. Fix them and import again",
                if bad == 1 { "" } else { "s" }
            ),
        )
        .into());
    }
    if rules.is_empty() {
        return Err(Fatal::new(
            Exit::DataErr,
            format!(
                "{name} has no rules: write one per line as {}",
                rule::CSV_HEADER.join(",")
            ),
        )
        .into());
    }
    Ok(rules)
}

/// A line of a rules file that is not a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its 1-based number.
    pub line: u64,
    /// Why it is refused.
    pub reason: String,
}

/// The rules of a rules file's bytes (`#` comments, an optional header line), and each line
/// that is not one.
pub fn parse_file(text: &[u8]) -> (Vec<Rule>, Vec<BadLine>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(text);
    let (mut rules, mut bad) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let (line, result) = match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if line == 1 && r.get(0).is_some_and(|f| f.trim() == rule::CSV_HEADER[0]) {
                    continue;
                }
                (line, rule::from_record(&r))
            }
            Err(e) => (
                e.position().map_or(0, |p| p.line()),
                Err(format!("not CSV: {e}")),
            ),
        };
        match result {
            Ok(rule) => rules.push(rule),
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    (rules, bad)
}
