//! The HTTP plumbing: one request per connection, the reply written (or cut short), percent
//! decoding and query strings.

use super::*;

/// A reply before it is written.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) content_type: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    /// Declare the whole body, send half, close (Fault::Truncated).
    pub(super) truncate: bool,
    /// Send the head, then nothing for this long, then close (Fault::Stall).
    pub(super) stall: Option<Duration>,
}

impl Answer {
    pub(super) fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Answer {
            status,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body,
            truncate: false,
            stall: None,
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test thread that panicked while holding the lock must not take the server down.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Answers one connection: one request, then close.
pub(super) fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let lag = {
        let mut control = shared.control();
        control.connections += 1;
        control
            .late
            .filter(|(every, _)| control.connections.is_multiple_of(*every))
            .map(|(_, lag)| lag)
    };
    if let Some(lag) = lag {
        thread::sleep(lag);
    }
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let (at, instant) = (SystemTime::now(), Instant::now());
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") && t.starts_with('/') => (m, t),
        _ => {
            write_answer(
                &mut stream,
                &Answer::new(400, "text/plain", b"Bad Request".to_vec()),
            );
            return;
        }
    };
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim());
    let index = {
        let mut log = lock(&shared.log);
        log.push(Logged {
            path: target.to_string(),
            at,
            instant,
            status: 0,
        });
        log.len() - 1
    };
    let answer = shared.respond(method, target, authorization);
    // Logged before the reply goes out, so a client that has its reply sees it in the log.
    lock(&shared.log)[index].status = answer.status;
    write_answer(&mut stream, &answer);
}

/// Reads up to the blank line that ends the request head (GET requests have no body).
pub(super) fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            // Lossy: a stray byte in a header gets a 400 or is ignored, not a dropped connection.
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
}

pub(super) fn write_answer(stream: &mut TcpStream, answer: &Answer) {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        reason(answer.status),
        answer.content_type,
        answer.body.len()
            + if answer.truncate {
                answer.body.len() / 2 + 100
            } else {
                0
            },
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if let Some(silence) = answer.stall {
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.flush();
        thread::sleep(silence);
        return;
    }
    let body = if answer.truncate {
        &answer.body[..answer.body.len() / 2]
    } else {
        &answer.body[..]
    };
    // One buffer, one write: no small-packet stalls.
    let mut bytes = Vec::with_capacity(head.len() + body.len());
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend_from_slice(body);
    if stream.write_all(&bytes).is_err() {
        return;
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Wait (briefly) for the client to close first: closing with unread input would send a
    // reset that can destroy the reply in flight.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Percent-decoding; `plus` also turns '+' into a space (query strings). None if the result is
/// not UTF-8.
pub(super) fn pct_decode(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |c: u8| (c as char).to_digit(16);
        match b {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            },
            b'+' if plus => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub(super) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((pct_decode(k, true)?, pct_decode(v, true)?))
        })
        .collect()
}

pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// "2023-10-19T05:21:51.099+05:30".
pub(super) fn iso_ms(ms: i64) -> String {
    let ist = FixedOffset::east_opt(IST as i32).expect("+05:30 is an offset");
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&ist)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}
