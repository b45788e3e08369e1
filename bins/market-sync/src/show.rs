//! `gaps`: the recorded gaps, read-only, in IST; stored text printed [`Shown`].

use std::io::Write;

use common::calendar::IST;
use common::harness::{self, CommonArgs};
use common::text::Shown;

use crate::job::MarketSync;
use common::market::candle::utc;

/// Prints the gaps with `status` (`open`, `unfillable`, `filled` or `all`), newest first.
pub fn gaps(args: &CommonArgs, status: &str) -> anyhow::Result<()> {
    let conn = harness::open_for_reading::<MarketSync>(args)?;
    let mut stmt = conn.prepare(
        "SELECT instrument, interval, gap_from, gap_to, bars, status, attempts FROM data_gaps
         WHERE ?1 = 'all' OR status = ?1 ORDER BY gap_from DESC, instrument, interval",
    )?;
    let rows = stmt.query_map([status], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut out = std::io::stdout().lock();
    let ist = |ts| utc(ts).with_timezone(&IST).format("%Y-%m-%d %H:%M");
    let mut n = 0;
    for row in rows {
        let (instrument, interval, from, to, bars, status, attempts) = row?;
        if n == 0 {
            writeln!(
                out,
                "{:<28} {:<9} {:<16} {:<16} {:>5} {:<10} {:>8}",
                "INSTRUMENT", "INTERVAL", "FROM (IST)", "TO (IST)", "BARS", "STATUS", "ATTEMPTS"
            )?;
        }
        n += 1;
        writeln!(
            out,
            "{:<28} {:<9} {:<16} {:<16} {bars:>5} {:<10} {attempts:>8}",
            Shown(&instrument),
            Shown(&interval),
            ist(from).to_string(),
            ist(to).to_string(),
            Shown(&status)
        )?;
    }
    match (n, status) {
        (0, "all") => writeln!(out, "no gaps recorded")?,
        (0, _) => writeln!(out, "no {status} gaps")?,
        _ => {}
    }
    Ok(())
}
