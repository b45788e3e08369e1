//! Upstox API v2/v3 handlers: historical and intraday candles, full quotes, the gzipped
//! instrument master, and Upstox's error bodies.

use super::*;

impl Shared {
    /// `/v3/historical-candle/{key}/{unit}/{n}/{to}[/{from}]`: the bars stamped from `from` to
    /// `to`, before today, newest first (a week's or a month's stamp is its Monday or 1st).
    pub(super) fn historical(
        &self,
        key: &str,
        unit: &str,
        n: &str,
        to: &str,
        from: Option<&str>,
    ) -> Answer {
        let market = &self.market;
        if !market.by_key.contains_key(key) {
            return upstox_error(400, "UDAPI1087", "Invalid Instrument key");
        }
        let Some(iv) = Interval::from_upstox(unit, n) else {
            return upstox_error(400, "UDAPI1011", "Invalid unit or interval");
        };
        let Some(to) = parse_date(to) else {
            return upstox_error(400, "UDAPI1011", "Invalid to_date format, use YYYY-MM-DD");
        };
        // Upstox's limits per request: a month of 1–15 minute candles, a quarter of longer
        // ones and of hours, a decade of days; weeks and months have none.
        let earliest = iv.upstox_span().map_or(NaiveDate::MIN, |(months, _)| {
            to.checked_sub_months(Months::new(months))
                .unwrap_or(NaiveDate::MIN)
        });
        let from = match from {
            None => earliest,
            Some(f) => match parse_date(f) {
                Some(f) => f,
                None => {
                    return upstox_error(
                        400,
                        "UDAPI1011",
                        "Invalid from_date format, use YYYY-MM-DD",
                    );
                }
            },
        };
        if to < from {
            return upstox_error(
                400,
                "UDAPI1015",
                "to_date must be greater than or equal to from_date",
            );
        }
        if let Some((_, what)) = iv.upstox_span().filter(|_| from < earliest) {
            return upstox_error(
                400,
                "UDAPI1015",
                &format!("Invalid date range: at most {what} candles per request"),
            );
        }
        let view = market.read();
        // Today's bars come only from the intraday endpoint, as on Upstox.
        let last = to.min(view.today().pred_opt().unwrap_or(NaiveDate::MIN));
        let mut stamps = market.stamps(iv, from, last, view.now_s());
        stamps.reverse();
        upstox_candles(market, &view, key, iv, &stamps)
    }

    /// `/v3/historical-candle/intraday/{key}/{unit}/{n}`: today's bars so far, in minutes,
    /// hours or a day (Upstox's intraday API has no weeks or months).
    pub(super) fn intraday(&self, key: &str, unit: &str, n: &str) -> Answer {
        let market = &self.market;
        if !market.by_key.contains_key(key) {
            return upstox_error(400, "UDAPI1087", "Invalid Instrument key");
        }
        let Some(iv) = Interval::from_upstox(unit, n).filter(|iv| !iv.is_period()) else {
            return upstox_error(400, "UDAPI1011", "Invalid unit or interval");
        };
        let view = market.read();
        let today = view.today();
        let mut stamps = market.stamps(iv, today, today, view.now_s());
        stamps.reverse();
        upstox_candles(market, &view, key, iv, &stamps)
    }

    /// `/v2/market-quote/quotes?instrument_key=k1,k2,…` (full quotes).
    pub(super) fn quotes(&self, keys: Option<&str>) -> Answer {
        let Some(keys) = keys.filter(|k| !k.trim().is_empty()) else {
            return upstox_error(400, "UDAPI1009", "instrument_key is required");
        };
        let keys: Vec<&str> = keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.len() > MAX_QUOTE_KEYS {
            return upstox_error(
                400,
                "UDAPI100043",
                "Maximum instrument key limit exceeded. Max allowed is 500",
            );
        }
        let market = &self.market;
        let (now_ms, pinned, pinned_volume) = {
            let view = market.read();
            (view.now_ms, view.pinned.clone(), view.pinned_volume.clone())
        };
        let mut out = Vec::with_capacity(64 + keys.len() * 1200);
        out.extend_from_slice(br#"{"status":"success","data":{"#);
        let mut first = true;
        // Unknown keys are left out of the map, as Upstox does with keys it has no quote for.
        for inst in keys.iter().filter_map(|k| market.by_key.get(*k)) {
            let inst = &market.instruments[*inst];
            if !first {
                out.push(b',');
            }
            first = false;
            let prof = Profile::of(&inst.key);
            let mut live = market.live(&prof, now_ms);
            if let Some(&price) = pinned.get(&inst.key) {
                live.day.close = price;
                live.day.high = live.day.high.max(price);
                live.day.low = if live.day.low > 0 {
                    live.day.low.min(price)
                } else {
                    price
                };
            }
            if let Some(&volume) = pinned_volume.get(&inst.key) {
                live.day.volume = volume;
            }
            push_str(&mut out, &format!("{}:{}", inst.segment(), inst.symbol));
            out.extend_from_slice(b":{\"ohlc\":{\"open\":");
            push_paise(&mut out, live.day.open);
            out.extend_from_slice(b",\"high\":");
            push_paise(&mut out, live.day.high);
            out.extend_from_slice(b",\"low\":");
            push_paise(&mut out, live.day.low);
            out.extend_from_slice(b",\"close\":");
            push_paise(&mut out, live.day.close);
            out.extend_from_slice(b"},\"depth\":{");
            let last = live.day.close;
            let mut totals = [0u64; 2];
            for (side, name) in ["buy", "sell"].iter().enumerate() {
                if side == 1 {
                    out.push(b',');
                }
                push_str(&mut out, name);
                out.extend_from_slice(b":[");
                for level in 0..5i64 {
                    if level > 0 {
                        out.push(b',');
                    }
                    let h = mix(prof.seed
                        ^ (live.last_trade_ms as u64)
                        ^ (((side as u64) << 8) | level as u64));
                    let (quantity, price, orders) = if inst.is_index() || live.session.is_none() {
                        (0, 0, 0)
                    } else {
                        let price = if side == 0 {
                            (last - 5 * level).max(5)
                        } else {
                            last + 5 * (level + 1)
                        };
                        (1 + h % 5000, price, 1 + (h >> 20) % 40)
                    };
                    totals[side] += quantity;
                    out.extend_from_slice(b"{\"quantity\":");
                    push_u64(&mut out, quantity);
                    out.extend_from_slice(b",\"price\":");
                    push_paise(&mut out, price);
                    out.extend_from_slice(b",\"orders\":");
                    push_u64(&mut out, orders);
                    out.push(b'}');
                }
                out.push(b']');
            }
            // The quote's timestamp is now, but not years after the last trade when now is
            // the far-future default.
            let stamp = now_ms
                .min((midnight(ist_date(live.last_trade_ms.div_euclid(1000))) + DAY) * 1000 - 1);
            out.extend_from_slice(b"},\"timestamp\":");
            push_str(&mut out, &iso_ms(stamp));
            out.extend_from_slice(b",\"instrument_token\":");
            push_str(&mut out, &inst.key);
            out.extend_from_slice(b",\"symbol\":");
            push_str(&mut out, &inst.symbol);
            // Upstox's last_price is a float32 widened to double (52.04999923706055), and
            // net_change is computed from it.
            let last_f = f64::from(rupees(last) as f32);
            out.extend_from_slice(b",\"last_price\":");
            push_f64(&mut out, last_f);
            out.extend_from_slice(b",\"volume\":");
            push_u64(&mut out, live.day.volume);
            out.extend_from_slice(b",\"average_price\":");
            push_paise(&mut out, live.average);
            out.extend_from_slice(b",\"oi\":0,\"net_change\":");
            let change = if live.session.is_some() {
                last_f - rupees(live.prev_close)
            } else {
                0.0
            };
            push_f64(&mut out, change);
            out.extend_from_slice(b",\"total_buy_quantity\":");
            push_u64(&mut out, totals[0]);
            out.extend_from_slice(b",\"total_sell_quantity\":");
            push_u64(&mut out, totals[1]);
            let (lower, upper) = if inst.is_index() {
                (0, 0)
            } else {
                (
                    tick(live.prev_close as f64 * 0.8),
                    tick(live.prev_close as f64 * 1.2),
                )
            };
            out.extend_from_slice(b",\"lower_circuit_limit\":");
            push_paise(&mut out, lower);
            out.extend_from_slice(b",\"upper_circuit_limit\":");
            push_paise(&mut out, upper);
            out.extend_from_slice(b",\"last_trade_time\":\"");
            push_u64(&mut out, live.last_trade_ms.max(0) as u64);
            out.extend_from_slice(b"\",\"oi_day_high\":0,\"oi_day_low\":0}");
        }
        out.extend_from_slice(b"}}");
        Answer::new(200, "application/json", out)
    }

    /// `/instruments/NSE.json.gz`: the NSE part of Upstox's BOD instruments file, gzipped.
    pub(super) fn instruments_file(&self) -> Answer {
        let mut json = Vec::with_capacity(64 + self.market.instruments.len() * 400);
        json.push(b'[');
        let nse = self
            .market
            .instruments
            .iter()
            .filter(|i| i.segment().starts_with("NSE_"));
        for (n, inst) in nse.enumerate() {
            if n > 0 {
                json.push(b',');
            }
            let token = 1000 + mix(fnv(inst.key.as_bytes())) % 90_000;
            let segment = json_str(inst.segment());
            if inst.is_index() {
                let _ = write!(
                    json,
                    r#"{{"segment":{segment},"name":{},"exchange":"NSE","instrument_type":"INDEX","instrument_key":{},"exchange_token":"{token}","trading_symbol":{}}}"#,
                    json_str(&inst.symbol),
                    json_str(&inst.key),
                    json_str(&inst.root()),
                );
            } else {
                let isin = inst.key.split_once('|').map_or("", |(_, i)| i);
                let _ = write!(
                    json,
                    r#"{{"segment":{segment},"name":{},"exchange":"NSE","isin":{},"instrument_type":"EQ","instrument_key":{},"lot_size":1,"freeze_quantity":100000.0,"exchange_token":"{token}","tick_size":5.0,"trading_symbol":{},"short_name":{},"security_type":"NORMAL"}}"#,
                    json_str(&format!("{} LIMITED", inst.symbol.to_uppercase())),
                    json_str(isin),
                    json_str(&inst.key),
                    json_str(&inst.symbol),
                    json_str(&inst.symbol),
                );
            }
        }
        json.push(b']');
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let body = gz.write_all(&json).and_then(|()| gz.finish());
        match body {
            // Served as a file (no Content-Encoding), like the CDN does: the client gunzips it.
            Ok(body) => Answer::new(200, "application/octet-stream", body),
            Err(_) => Answer::new(500, "text/plain", b"gzip failed".to_vec()),
        }
    }
}

/// The body of an Upstox candle response: the bars at `stamps` (newest first, each with the
/// session it opens in), minus hidden ones, corrupt ones spoiled.
pub(super) fn upstox_candles(
    market: &Market,
    view: &View,
    key: &str,
    iv: Interval,
    stamps: &[(i64, Session)],
) -> Answer {
    let hidden = View::set(&view.hidden, key, iv);
    let corrupt = View::set(&view.corrupt, key, iv);
    let prof = Profile::of(key);
    let now = view.now_s();
    let mut out = Vec::with_capacity(64 + stamps.len() * 72);
    out.extend_from_slice(br#"{"status":"success","data":{"candles":["#);
    let mut first = true;
    let mut dates = DateCache::default();
    let mut minutes = SessionMinutes::default();
    for (ts, s) in stamps {
        let ts = *ts;
        if hidden.is_some_and(|h| h.contains(&ts)) {
            continue;
        }
        let mut b = market.bar_at(&prof, iv, ts, s, now, &mut minutes);
        if corrupt.is_some_and(|c| c.contains(&ts)) {
            b = b.corrupted();
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(b"[\"");
        dates.push_iso(&mut out, ts);
        out.extend_from_slice(b"\",");
        push_paise(&mut out, b.open);
        out.push(b',');
        push_paise(&mut out, b.high);
        out.push(b',');
        push_paise(&mut out, b.low);
        out.push(b',');
        push_paise(&mut out, b.close);
        out.push(b',');
        push_u64(&mut out, b.volume);
        out.extend_from_slice(b",0]");
    }
    out.extend_from_slice(b"]}}");
    Answer::new(200, "application/json", out)
}

/// Upstox's error body.
pub(super) fn upstox_error(status: u16, code: &str, message: &str) -> Answer {
    let (code, message) = (json_str(code), json_str(message));
    let body = format!(
        r#"{{"status":"error","errors":[{{"errorCode":{code},"message":{message},"propertyPath":null,"invalidValue":null,"error_code":{code},"property_path":null,"invalid_value":null}}]}}"#
    );
    Answer::new(status, "application/json", body.into_bytes())
}

pub(super) fn too_many() -> Answer {
    upstox_error(429, "UDAPI10005", "Too Many Request Sent")
}
