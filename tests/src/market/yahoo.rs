//! The Yahoo Finance chart API handler (`/v8/finance/chart/{symbol}`).

use super::*;

impl Shared {
    /// `/v8/finance/chart/{symbol}?interval=…&period1=…&period2=…` or `range=1d|5d|1mo`.
    pub(super) fn yahoo<'a>(
        &self,
        symbol: &str,
        param: &dyn Fn(&str) -> Option<&'a str>,
    ) -> Answer {
        let market = &self.market;
        let bad = |what: &str| {
            let body = format!(
                r#"{{"chart":{{"result":null,"error":{{"code":"Bad Request","description":{}}}}}}}"#,
                json_str(&format!("Invalid input - {what}"))
            );
            Answer::new(400, "application/json;charset=utf-8", body.into_bytes())
        };
        let Some(inst) = market.by_yahoo.get(symbol).map(|&i| &market.instruments[i]) else {
            let body = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
            return Answer::new(404, "application/json;charset=utf-8", body.to_vec());
        };
        let interval = param("interval").unwrap_or("1d");
        let Some(iv) = Interval::from_yahoo(interval) else {
            return bad(&format!(
                "interval={interval} is not supported. Valid intervals: {YAHOO_INTERVALS}"
            ));
        };
        let view = market.read();
        let now = view.now_s();
        let current = market.current_session(now);
        // The window of bar starts [p1, p2).
        let (p1, p2, range) = match (param("period1"), param("period2")) {
            (Some(a), b) => {
                let Ok(a) = a.parse::<i64>() else {
                    return bad("period1 must be an integer");
                };
                let b = match b.map(str::parse::<i64>) {
                    None => now + 1,
                    Some(Ok(b)) => b,
                    Some(Err(_)) => return bad("period2 must be an integer"),
                };
                (a, b, String::new())
            }
            (None, _) => {
                let range = param("range").unwrap_or("1d");
                let sessions = match range {
                    "1d" => 1,
                    "5d" => 5,
                    "1mo" => 22,
                    _ => return bad(&format!("range={range} is not supported")),
                };
                let first = current.and_then(|(d, _)| {
                    market
                        .sessions
                        .range(..=d)
                        .rev()
                        .nth(sessions - 1)
                        .or(market.sessions.range(..=d).next())
                });
                match first {
                    Some((d, _)) => (midnight(*d), now + 1, range.to_string()),
                    None => (0, 0, range.to_string()),
                }
            }
        };
        if let Some(refusal) = market.yahoo_limits(iv, interval, p1, p2, now) {
            return refusal;
        }
        let hidden = View::set(&view.hidden, &inst.key, iv);
        let corrupt = View::set(&view.corrupt, &inst.key, iv);
        let nulls = View::set(&view.nulls, &inst.yahoo, iv);
        let prof = Profile::of(&inst.key);
        // (Yahoo timestamp, bar or None for a null bar).
        let mut bars: Vec<(i64, Option<Bar>)> = Vec::new();
        let mut periods: Vec<Session> = Vec::new();
        if p1 < p2 {
            let mut minutes = SessionMinutes::default();
            for (ts, s) in market.stamps(iv, ist_date(p1), ist_date(p2), now) {
                // Yahoo stamps day bars with the session's open, weeks and months like Upstox.
                let yts = if iv == Interval::Day { s.open } else { ts };
                if yts < p1 || yts >= p2 {
                    continue;
                }
                if periods.last().is_none_or(|p| p.open != s.open) {
                    periods.push(s);
                }
                if hidden.is_some_and(|h| h.contains(&ts)) {
                    continue;
                }
                let bar = if nulls.is_some_and(|n| n.contains(&ts)) {
                    None
                } else {
                    let b = market.bar_at(&prof, iv, ts, &s, now, &mut minutes);
                    Some(if corrupt.is_some_and(|c| c.contains(&ts)) {
                        b.corrupted()
                    } else {
                        b
                    })
                };
                bars.push((yts, bar));
            }
        }
        let now_ms = view.now_ms;
        drop(view);
        let live = market.live(&prof, now_ms);
        let first_date = bars
            .first()
            .map_or_else(|| ist_date(p1.max(0)), |(t, _)| ist_date(*t));
        let chart_prev = market
            .previous_session(first_date)
            .map_or(live.prev_close, |(_, p)| prof.minute(p.close - 60).close);
        let (cur_open, cur_close) = live
            .session
            .or(current)
            .map_or((0, 0), |(_, s)| (s.open, s.close));
        let index = inst.is_index();

        let mut out = Vec::with_capacity(2048 + bars.len() * 110);
        out.extend_from_slice(br#"{"chart":{"result":[{"meta":{"currency":"INR","symbol":"#);
        push_str(&mut out, &inst.yahoo);
        let _ = write!(
            out,
            r#","exchangeName":"NSI","fullExchangeName":"NSE","instrumentType":"{}","firstTradeDate":820454400,"regularMarketTime":{},"hasPrePostMarketData":false,"gmtoffset":19800,"timezone":"IST","exchangeTimezoneName":"Asia/Kolkata","regularMarketPrice":"#,
            if index { "INDEX" } else { "EQUITY" },
            live.last_trade_ms.div_euclid(1000),
        );
        push_f32(&mut out, live.day.close);
        out.extend_from_slice(b",\"fiftyTwoWeekHigh\":");
        push_f32(&mut out, tick(prof.base * 100.0 * 1.12));
        out.extend_from_slice(b",\"fiftyTwoWeekLow\":");
        push_f32(&mut out, tick(prof.base * 100.0 * 0.88));
        out.extend_from_slice(b",\"regularMarketDayHigh\":");
        push_f32(&mut out, live.day.high);
        out.extend_from_slice(b",\"regularMarketDayLow\":");
        push_f32(&mut out, live.day.low);
        out.extend_from_slice(b",\"regularMarketVolume\":");
        push_u64(&mut out, live.day.volume);
        let long = if index {
            inst.symbol.clone()
        } else {
            format!("{} Limited", inst.symbol)
        };
        out.extend_from_slice(b",\"longName\":");
        push_str(&mut out, &long);
        out.extend_from_slice(b",\"shortName\":");
        push_str(&mut out, &inst.symbol.to_uppercase());
        out.extend_from_slice(b",\"chartPreviousClose\":");
        push_f32(&mut out, chart_prev);
        out.extend_from_slice(b",\"previousClose\":");
        push_f32(&mut out, live.prev_close);
        out.extend_from_slice(b",\"scale\":3,\"priceHint\":2,\"currentTradingPeriod\":{");
        for (i, (name, start, end)) in [
            ("pre", cur_open, cur_open),
            ("regular", cur_open, cur_close),
            ("post", cur_close, cur_close),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(
                out,
                r#""{name}":{{"timezone":"IST","end":{end},"start":{start},"gmtoffset":19800}}"#
            );
        }
        out.push(b'}');
        if iv.seconds().is_some() {
            out.extend_from_slice(b",\"tradingPeriods\":[");
            for (i, s) in periods.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(
                    out,
                    r#"[{{"timezone":"IST","end":{},"start":{},"gmtoffset":19800}}]"#,
                    s.close, s.open
                );
            }
            out.push(b']');
        }
        let _ = write!(
            out,
            r#","dataGranularity":"{}","range":{},"validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]}}"#,
            interval,
            json_str(&range)
        );
        if bars.is_empty() {
            // Yahoo leaves out the timestamps and sends an empty quote when it has no bars.
            out.extend_from_slice(br#","indicators":{"quote":[{}]}}],"error":null}}"#);
            return Answer::new(200, "application/json;charset=utf-8", out);
        }
        out.extend_from_slice(b",\"timestamp\":[");
        for (i, (t, _)) in bars.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_i64(&mut out, *t);
        }
        out.extend_from_slice(b"],\"indicators\":{\"quote\":[{");
        let price_array = |out: &mut Vec<u8>, name: &str, get: &dyn Fn(&Bar) -> i64| {
            let _ = write!(out, "\"{name}\":[");
            for (i, (_, b)) in bars.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match b {
                    Some(b) => push_f32(out, get(b)),
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.push(b']');
        };
        // The field order of Yahoo's body (chart_5m.json).
        price_array(&mut out, "open", &|b| b.open);
        out.push(b',');
        price_array(&mut out, "close", &|b| b.close);
        out.push(b',');
        price_array(&mut out, "high", &|b| b.high);
        out.push(b',');
        out.extend_from_slice(b"\"volume\":[");
        for (i, (_, b)) in bars.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match b {
                Some(b) => push_u64(&mut out, b.volume),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"],");
        price_array(&mut out, "low", &|b| b.low);
        out.extend_from_slice(b"}]");
        if iv.seconds().is_none() {
            out.extend_from_slice(b",\"adjclose\":[{");
            price_array(&mut out, "adjclose", &|b| b.close);
            out.extend_from_slice(b"}]");
        }
        out.extend_from_slice(br#"}}],"error":null}}"#);
        Answer::new(200, "application/json;charset=utf-8", out)
    }
}

impl Market {
    /// Yahoo's refusal of intraday bars it does not serve: more than 7 days of 1-minute bars in
    /// one request, or a range starting earlier than it keeps them (30 days of 1-minute bars,
    /// 730 of hourly, 60 of the others), counted back from the market's last data: now, or
    /// the close of its last session when now is later.
    fn yahoo_limits(&self, iv: Interval, name: &str, p1: i64, p2: i64, now: i64) -> Option<Answer> {
        let (span, history) = iv.yahoo_limits()?;
        let latest = self
            .sessions
            .values()
            .next_back()
            .map_or(now, |s| s.close.min(now));
        let why = match span {
            // A window reaching past the last data is cut there, as Yahoo cuts it at now.
            Some(days) if p2.min(latest).saturating_sub(p1) > days * DAY => format!(
                "Only {days} days worth of {name} granularity data are allowed to be fetched per request."
            ),
            _ if p1 < latest - history * DAY => {
                format!("The requested range must be within the last {history} days.")
            }
            _ => return None,
        };
        let description =
            format!("{name} data not available for startTime={p1} and endTime={p2}. {why}");
        let body = format!(
            r#"{{"chart":{{"result":null,"error":{{"code":"Unprocessable Entity","description":{}}}}}}}"#,
            json_str(&description)
        );
        Some(Answer::new(
            422,
            "application/json;charset=utf-8",
            body.into_bytes(),
        ))
    }
}
