//! The server: the controls tests change while it runs (scripts, token, limits, hidden and
//! corrupt bars), and the routing of each request to its Upstox or Yahoo handler.

use super::*;

/// A scripted misbehaviour for [`MarketServer::script`].
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, this body, this content type (`None`: `application/json`).
    Status(u16, String, Option<String>),
    /// Status 429: Upstox paths get Upstox's UDAPI10005 body, Yahoo paths Yahoo's plain
    /// "Too Many Requests"; `Retry-After: <secs>` only when given (Upstox never sends one).
    TooMany {
        /// Seconds for a `Retry-After` header, if any.
        retry_after: Option<u64>,
    },
    /// This status with an HTML error page like a proxy's (nginx/Cloudflare 502), `text/html`.
    Html(u16),
    /// Status 200 with these bytes and this content type (a gzip bomb, a doctored file).
    Bytes(Vec<u8>, String),
    /// Wait this long, then give the normal reply (for client timeouts).
    Delay(Duration),
    /// The normal reply's headers with a `Content-Length` larger than what follows: half the
    /// body is sent, then the connection is closed.
    Truncated,
    /// The normal reply's headers, then silence for this long, then the connection is closed
    /// (a server that hangs mid-reply: the client must time out).
    Stall(Duration),
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Path with query string, exactly as sent (still percent-encoded).
    pub path: String,
    /// Wall-clock arrival (after the request head was read).
    pub at: SystemTime,
    /// Monotonic arrival, for measuring pacing.
    pub instant: Instant,
    /// The status of the reply; 0 while the reply is still being made (e.g. during a
    /// [`Fault::Delay`]).
    pub status: u16,
}

// ---------------------------------------------------------------------------------------------
// The server

/// Scripts, token, limits: what decides a reply before the world is consulted.
#[derive(Default)]
pub(super) struct Control {
    pub(super) token: Option<String>,
    pub(super) scripts: Vec<(String, VecDeque<Fault>)>,
    pub(super) limits: Vec<(u32, Duration)>,
    pub(super) windows: HashMap<&'static str, VecDeque<Instant>>,
    pub(super) violations: usize,
    /// Every n-th connection is read this late.
    pub(super) late: Option<(usize, Duration)>,
    pub(super) connections: usize,
}

pub(super) struct Shared {
    pub(super) market: Market,
    pub(super) control: Mutex<Control>,
    pub(super) log: Mutex<Vec<Logged>>,
}

/// The running server; it stops accepting when dropped.
pub struct MarketServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl MarketServer {
    /// Serves `market` on 127.0.0.1 on a free port.
    pub fn start(market: Market) -> std::io::Result<Self> {
        Self::start_on(market, 0)
    }

    /// Serves `market` on 127.0.0.1:`port` (0 for any free port).
    pub fn start_on(market: Market, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            market,
            control: Mutex::new(Control::default()),
            log: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let sh = Arc::clone(&sh);
                // One thread per connection, so a delayed reply holds up nobody else.
                thread::spawn(move || serve(stream, &sh));
            }
        });
        Ok(MarketServer {
            url: format!("http://{addr}"),
            addr,
            shared,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`; the Upstox API, the instruments file and the
    /// Yahoo chart API all live under it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The world being served (its [`Market::bars`] sees this server's now and holes).
    pub fn market(&self) -> &Market {
        &self.shared.market
    }

    /// "Now" as the server sees it (UTC). Bars that have not started by then are not served;
    /// the forming bar is (intraday serves bars whose start <= now, like Upstox). Historical
    /// serves dates before the IST date of now. Default: 3000-01-01, after everything.
    pub fn set_now(&self, now: DateTime<Utc>) {
        self.shared.market.write().now_ms = now.timestamp_millis();
    }

    /// Bars the provider never has (holes): each (key, interval, bar start); interval as in
    /// [`Market::candle`]. Served by neither Upstox nor Yahoo. Only that interval's bar goes:
    /// the coarser bars around it are still served whole. Panics on an unknown interval name.
    pub fn hide(&self, key: &str, interval: &str, ts: &[i64]) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.hidden.entry((key.to_string(), iv)).or_default();
        set.extend(ts.iter().map(|&t| iv.key_ts(t)));
    }

    /// Forgets every hole made by [`MarketServer::hide`].
    pub fn unhide_all(&self) {
        self.shared.market.write().hidden.clear();
    }

    /// Makes the served bar at (key, interval, ts) have high < low (bad data), on both
    /// providers. [`Market::candle`] still gives the clean bar. Panics on an unknown interval.
    pub fn corrupt(&self, key: &str, interval: &str, ts: i64) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.corrupt.entry((key.to_string(), iv)).or_default();
        set.insert(iv.key_ts(ts));
    }

    /// Makes Yahoo serve a null bar (open, high, low, close and volume all `null`, timestamp
    /// kept) for `symbol` (Yahoo's, e.g. "RELIANCE.NS") at each bar start; interval "1m", "5m",
    /// "15m", "1d" or the market's names. Day bars may be given by 00:00 or 09:15 IST.
    pub fn yahoo_nulls(&self, symbol: &str, interval: &str, ts: &[i64]) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.nulls.entry((symbol.to_string(), iv)).or_default();
        set.extend(ts.iter().map(|&t| iv.key_ts(t)));
    }

    /// Makes full quotes (`/v2/market-quote/quotes`) give `key` the last price `rupees` (rounded
    /// to the paisa), the day's high and low widened to include it, until changed; `None` goes
    /// back to the synthetic path. Only the quotes endpoint sees it: candles, option chains
    /// and the spot they are built around keep the path. For alert tests that move a price
    /// across a rule's level at a chosen minute.
    pub fn pin_last_price(&self, key: &str, rupees: Option<f64>) {
        let mut view = self.shared.market.write();
        match rupees {
            Some(r) => view
                .pinned
                .insert(key.to_string(), (r * 100.0).round() as i64),
            None => view.pinned.remove(key),
        };
    }

    /// Makes full quotes give `key` the day's volume so far `volume`, until changed; `None` goes
    /// back to the synthetic path. Only the quotes endpoint sees it. For alert tests of a
    /// volume spike at a chosen minute.
    pub fn pin_day_volume(&self, key: &str, volume: Option<u64>) {
        let mut view = self.shared.market.write();
        match volume {
            Some(v) => view.pinned_volume.insert(key.to_string(), v),
            None => view.pinned_volume.remove(key),
        };
    }

    /// Moves the option strike grid `points` (a multiple of 50) away from where the spot puts
    /// it, in contracts and chains: a chain whose strikes miss the spot, as one listed around a
    /// stale price.
    pub fn shift_strikes(&self, points: i64) {
        self.shared.market.write().options.shift = points;
    }

    /// Makes option chains give contracts more than `points` in the money IV, greeks and
    /// probability of profit 0, as Upstox does where it computed none; `None`: off.
    pub fn uncomputed_greeks_beyond(&self, points: Option<i64>) {
        self.shared.market.write().options.uncomputed_beyond = points;
    }

    /// Makes option contracts list only the weekly expiries of the 4 weeks before today, all
    /// past, as for an underlying whose series have run out.
    pub fn only_past_expiries(&self) {
        self.shared.market.write().options.only_past = true;
    }

    /// Requires `Authorization: Bearer <token>` on every /v2 and /v3 request; otherwise 401
    /// with Upstox's UDAPI100050 "Invalid token used to access API" body. The instruments file
    /// and Yahoo need no token, as in reality.
    pub fn require_token(&self, token: &str) {
        self.shared.control().token = Some(token.to_string());
    }

    /// Scripted faults: the next replies to requests whose path starts with `prefix` (e.g.
    /// "/v3/historical-candle", "/v8/finance/chart", "/v2/market-quote", "/v2/option") are
    /// these, in order, before normal service resumes. Replaces an earlier script for the same
    /// prefix; when several prefixes match a request, the longest with faults left wins.
    /// Faults come before the token check and the rate limits.
    pub fn script(&self, prefix: &str, faults: Vec<Fault>) {
        let mut control = self.shared.control();
        control.scripts.retain(|(p, _)| p != prefix);
        control.scripts.push((prefix.to_string(), faults.into()));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        let mut log = lock(&self.shared.log).clone();
        log.sort_by_key(|l| l.instant);
        log
    }

    /// Server-side limits, like Upstox's (per API: historical candles, intraday candles,
    /// quotes, option chain, option contracts and any other /v2 or /v3 path are counted
    /// apart): a request that would make more than N served requests of its API in any
    /// sliding window gets 429 with Upstox's UDAPI10005 "Too Many Request Sent" body and no
    /// Retry-After, and counts as a violation. Refused requests do not fill the window.
    /// Yahoo and the instruments file are not limited. Replaces earlier limits.
    pub fn enforce_limits(&self, limits: &[(u32, Duration)]) {
        let mut control = self.shared.control();
        control.limits = limits.to_vec();
        control.windows.clear();
    }

    /// Reads every `every`-th connection only after `lag`, as if that request had been slow on
    /// the way: the server counts it, and logs it, when it arrives.
    pub fn delay_arrivals(&self, every: usize, lag: Duration) {
        self.shared.control().late = Some((every.max(1), lag));
    }

    /// How many requests [`MarketServer::enforce_limits`] has refused.
    pub fn violations(&self) -> usize {
        self.shared.control().violations
    }
}

impl Drop for MarketServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    pub(super) fn control(&self) -> MutexGuard<'_, Control> {
        lock(&self.control)
    }

    /// Decides the reply to one request.
    pub(super) fn respond(
        &self,
        method: &str,
        target: &str,
        authorization: Option<&str>,
    ) -> Answer {
        let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = pct_decode(raw_path, false);
        let fault = {
            let mut control = self.control();
            let matching = |p: &str| {
                raw_path.starts_with(p) || path.as_deref().is_some_and(|d| d.starts_with(p))
            };
            control
                .scripts
                .iter_mut()
                .filter(|(p, q)| !q.is_empty() && matching(p))
                .max_by_key(|(p, _)| p.len())
                .and_then(|(_, q)| q.pop_front())
        };
        let upstox = raw_path.starts_with("/v2/") || raw_path.starts_with("/v3/");
        match fault {
            None => {}
            Some(Fault::Delay(wait)) => thread::sleep(wait),
            Some(Fault::Truncated) => {
                let mut answer = self.normal(method, raw_path, query, authorization);
                answer.truncate = true;
                return answer;
            }
            Some(Fault::Stall(silence)) => {
                let mut answer = self.normal(method, raw_path, query, authorization);
                answer.stall = Some(silence);
                return answer;
            }
            Some(Fault::Status(status, body, content_type)) => {
                return Answer {
                    status,
                    content_type: content_type.unwrap_or_else(|| "application/json".into()),
                    headers: Vec::new(),
                    body: body.into_bytes(),
                    truncate: false,
                    stall: None,
                };
            }
            Some(Fault::Bytes(body, content_type)) => {
                return Answer::new(200, &content_type, body);
            }
            Some(Fault::TooMany { retry_after }) => {
                let mut answer = if upstox {
                    too_many()
                } else {
                    Answer::new(429, "text/plain", b"Too Many Requests\r\n".to_vec())
                };
                if let Some(secs) = retry_after {
                    answer
                        .headers
                        .push(("Retry-After".into(), secs.to_string()));
                }
                return answer;
            }
            Some(Fault::Html(status)) => {
                let reason = reason(status);
                let body = format!(
                    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
                     <center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n\
                     </body>\r\n</html>\r\n"
                );
                return Answer::new(status, "text/html", body.into_bytes());
            }
        }
        self.normal(method, raw_path, query, authorization)
    }

    /// The reply when nothing is scripted.
    pub(super) fn normal(
        &self,
        method: &str,
        raw_path: &str,
        query: &str,
        authorization: Option<&str>,
    ) -> Answer {
        let not_found = || Answer::new(404, "text/plain", b"Not Found".to_vec());
        if method != "GET" {
            return not_found();
        }
        // Decode segment by segment, so an encoded '/' inside a key cannot split it.
        let Some(segments) = raw_path
            .split('/')
            .skip(1)
            .map(|s| pct_decode(s, false))
            .collect::<Option<Vec<String>>>()
        else {
            return Answer::new(400, "text/plain", b"Bad Request".to_vec());
        };
        let Some(params) = parse_query(query) else {
            return Answer::new(400, "text/plain", b"Bad Request".to_vec());
        };
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match segs.as_slice() {
            ["v2" | "v3", ..] => {
                let token = self.control().token.clone();
                if let Some(token) = token {
                    let ok = authorization
                        .and_then(|a| a.strip_prefix("Bearer "))
                        .is_some_and(|t| t.trim() == token);
                    if !ok {
                        return upstox_error(
                            401,
                            "UDAPI100050",
                            "Invalid token used to access API",
                        );
                    }
                }
                let api = match segs.as_slice() {
                    ["v3", "historical-candle", "intraday", ..] => "intraday",
                    [_, "historical-candle", ..] => "historical",
                    ["v2", "market-quote", ..] => "quotes",
                    ["v2", "option", "chain"] => "option-chain",
                    ["v2", "option", "contract"] => "option-contract",
                    _ => "other",
                };
                if !self.admit(api) {
                    return too_many();
                }
                match segs.as_slice() {
                    ["v3", "historical-candle", "intraday", key, unit, n] => {
                        self.intraday(key, unit, n)
                    }
                    ["v3", "historical-candle", key, unit, n, to] => {
                        self.historical(key, unit, n, to, None)
                    }
                    ["v3", "historical-candle", key, unit, n, to, from] => {
                        self.historical(key, unit, n, to, Some(from))
                    }
                    ["v2", "market-quote", "quotes"] => self.quotes(param("instrument_key")),
                    ["v2", "option", "contract"] => {
                        self.contracts(param("instrument_key"), param("expiry_date"))
                    }
                    ["v2", "option", "chain"] => {
                        self.chain(param("instrument_key"), param("expiry_date"))
                    }
                    _ => upstox_error(404, "UDAPI100060", "Resource not Found."),
                }
            }
            ["v8", "finance", "chart", symbol] => self.yahoo(symbol, &param),
            ["instruments", "NSE.json.gz"] => self.instruments_file(),
            _ => not_found(),
        }
    }

    /// Counts a request against the limits of its API; false if it breaks one.
    pub(super) fn admit(&self, api: &'static str) -> bool {
        let now = Instant::now();
        let mut control = self.control();
        let Some(longest) = control.limits.iter().map(|(_, w)| *w).max() else {
            return true;
        };
        let limits = control.limits.clone();
        let window = control.windows.entry(api).or_default();
        while window
            .front()
            .is_some_and(|&t| now.duration_since(t) >= longest)
        {
            window.pop_front();
        }
        let over = limits.iter().any(|&(n, w)| {
            let recent = window
                .iter()
                .rev()
                .take_while(|&&t| now.duration_since(t) < w)
                .count();
            recent + 1 > n as usize
        });
        if over {
            control.violations += 1;
            false
        } else {
            window.push_back(now);
            true
        }
    }
}
