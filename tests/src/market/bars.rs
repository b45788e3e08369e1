//! Which bars exist for an interval over a range of dates, and their values: a session's
//! intraday bars, a day's, and a week's or a month's, which span many sessions.

use super::*;

/// A session's 1-minute bars, computed once for all the bars that read them.
#[derive(Default)]
pub(super) struct SessionMinutes {
    open: Option<i64>,
    minutes: Vec<Bar>,
}

impl SessionMinutes {
    /// The 1-minute bars of session `s`.
    pub(super) fn of(&mut self, prof: &Profile, s: &Session) -> &[Bar] {
        if self.open != Some(s.open) {
            self.minutes = prof.session_minutes(s);
            self.open = Some(s.open);
        }
        &self.minutes
    }
}

impl Market {
    /// The bars of `iv` stamped on dates `from..=to` that have started by `now`, oldest first,
    /// each with the session it opens in. Intraday bars are stamped where they start; a day's
    /// bar 00:00 IST of its date, once its session opened; a week's or a month's 00:00 IST of
    /// its Monday or 1st (as Upstox stamps them, even when that day is closed), once its first
    /// session opened.
    pub(super) fn stamps(
        &self,
        iv: Interval,
        from: NaiveDate,
        to: NaiveDate,
        now: i64,
    ) -> Vec<(i64, Session)> {
        let mut out = Vec::new();
        if from > to {
            return out;
        }
        if !iv.is_period() {
            for (date, s) in self.sessions.range(from..=to) {
                for ts in s.bar_starts(*date, iv) {
                    if started(iv, s, ts, now) {
                        out.push((ts, *s));
                    }
                }
            }
            return out;
        }
        let mut begin = iv.period_begin(from);
        if begin < from {
            begin = iv.period_end(begin).succ_opt().unwrap_or(NaiveDate::MAX);
        }
        while begin <= to {
            let end = iv.period_end(begin);
            let first = self
                .period_sessions(begin, end, now)
                .next()
                .map(|(_, s)| *s);
            if let Some(s) = first {
                out.push((midnight(begin), s));
            }
            match end.succ_opt() {
                Some(next) => begin = next,
                None => break,
            }
        }
        out
    }

    /// The sessions from `begin` to `end` that have opened by `now`.
    pub(super) fn period_sessions(
        &self,
        begin: NaiveDate,
        end: NaiveDate,
        now: i64,
    ) -> impl Iterator<Item = (&NaiveDate, &Session)> {
        self.sessions
            .range(begin..=end)
            .filter(move |(_, s)| s.close > s.open && s.open <= now)
    }

    /// The bar of `iv` stamped `ts` that opens in session `s`, from the 1-minute path: a week's
    /// or a month's aggregates the whole sessions of the period opened by `now`.
    pub(super) fn bar_at(
        &self,
        prof: &Profile,
        iv: Interval,
        ts: i64,
        s: &Session,
        now: i64,
        minutes: &mut SessionMinutes,
    ) -> Bar {
        if !iv.is_period() {
            return bar_from_minutes(minutes.of(prof, s), iv, ts, s)
                .unwrap_or_else(|| self.bar_in(prof, iv, ts, s));
        }
        let begin = ist_date(ts);
        let mut bar: Option<Bar> = None;
        for (_, session) in self.period_sessions(begin, iv.period_end(begin), now) {
            let Some(day) = bar_from_minutes(minutes.of(prof, session), Interval::Day, ts, session)
            else {
                continue;
            };
            bar = Some(bar.map_or(day, |b| b.then(&day)));
        }
        bar.unwrap_or_else(|| self.bar_in(prof, Interval::Day, ts, s))
    }
}
