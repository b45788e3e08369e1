//! One HTTP/1.1 exchange on a connection: the request read within bounds (its head, its body,
//! its time), the response written, the connection closed. Parsing is httparse's, the parser
//! hyper uses; everything else is a few lines here, so that every bound is ours.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// The largest request head (request line and headers) read: a larger one is refused (431).
const HEAD_MAX: usize = 16 * 1024;

/// The most headers parsed.
const HEADERS_MAX: usize = 48;

/// After a refusal whose body was left unread, what is read and dropped so that the client
/// sees the answer rather than a reset (the kernel resets a connection closed with unread
/// input): this much at most, for this long at most.
const DRAIN_BYTES: u64 = 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// What bounds a request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body accepted.
    pub max_body: u64,
    /// Time a client has to send its whole request.
    pub read_timeout: Duration,
}

/// A request, read whole.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The client closed the connection before sending a request: nothing to answer.
    #[error("the client closed the connection")]
    Closed,
    /// The request did not arrive in time.
    #[error("the request did not arrive within {0:?}")]
    TooSlow(Duration),
    /// The head is larger than [`HEAD_MAX`].
    #[error("the request head is larger than {HEAD_MAX} bytes")]
    HeadTooLarge,
    /// Not HTTP/1.x.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The body is larger than the limit; it was not read.
    #[error("the body of {length} bytes is larger than the {limit} bytes accepted")]
    BodyTooLarge {
        /// Its declared length.
        length: u64,
        /// The limit.
        limit: u64,
    },
    /// A body without `Content-Length` (chunked).
    #[error("a body must come with Content-Length")]
    LengthRequired,
    /// The connection failed.
    #[error("reading the request: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one request from `stream` within `limits`.
pub fn read_request(stream: &mut TcpStream, limits: Limits) -> Result<Request, ReadError> {
    let deadline = Instant::now() + limits.read_timeout;
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    let (head_len, mut request) = loop {
        let n = read_before(stream, &mut chunk, deadline, limits.read_timeout)?;
        if n == 0 {
            return Err(if buf.is_empty() {
                ReadError::Closed
            } else {
                ReadError::Malformed("the connection closed inside the request head".into())
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; HEADERS_MAX];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => break (len, head(&parsed)?),
            Ok(httparse::Status::Partial) if buf.len() > HEAD_MAX => {
                return Err(ReadError::HeadTooLarge);
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Err(ReadError::HeadTooLarge),
            Err(e) => return Err(ReadError::Malformed(e.to_string())),
        }
    };
    if request.header("transfer-encoding").is_some() {
        return Err(ReadError::LengthRequired);
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map_err(|_| ReadError::Malformed(format!("Content-Length {v:?} is not a number")))?,
    };
    if length > limits.max_body {
        return Err(ReadError::BodyTooLarge {
            length,
            limit: limits.max_body,
        });
    }
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    // Bounded by max_body above: the length is at most what the configuration allows.
    let length = length as usize;
    let mut body = buf.split_off(head_len);
    if body.len() > length {
        return Err(ReadError::Malformed(
            "more bytes than Content-Length (pipelining is not supported)".into(),
        ));
    }
    body.reserve_exact(length - body.len());
    while body.len() < length {
        let want = (length - body.len()).min(chunk.len());
        let n = read_before(stream, &mut chunk[..want], deadline, limits.read_timeout)?;
        if n == 0 {
            return Err(ReadError::Malformed(
                "the connection closed inside the body".into(),
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    request.body = body;
    Ok(request)
}

/// The method, path and headers of a parsed head.
fn head(parsed: &httparse::Request<'_, '_>) -> Result<Request, ReadError> {
    let method = parsed.method.unwrap_or_default().to_string();
    let target = parsed.path.unwrap_or_default();
    let path = target
        .split_once('?')
        .map_or(target, |(p, _)| p)
        .to_string();
    let headers = parsed
        .headers
        .iter()
        .map(|h| {
            let value = std::str::from_utf8(h.value)
                .map_err(|_| ReadError::Malformed(format!("header {} is not UTF-8", h.name)))?;
            Ok((h.name.to_ascii_lowercase(), value.to_string()))
        })
        .collect::<Result<_, ReadError>>()?;
    Ok(Request {
        method,
        path,
        headers,
        body: Vec::new(),
    })
}

/// One read that gives up at `deadline`, so a client sending a byte at a time cannot hold a
/// connection longer than the whole request is allowed.
fn read_before(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    allowed: Duration,
) -> Result<usize, ReadError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ReadError::TooSlow(allowed));
    }
    stream.set_read_timeout(Some(left))?;
    match stream.read(buf) {
        Ok(n) => Ok(n),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(ReadError::TooSlow(allowed))
        }
        Err(e) => Err(e.into()),
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Headers besides `Content-Type`, `Content-Length` and `Connection`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response of `status` with a body of `content_type`.
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// JSON of `value`.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Self {
        let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
        body.push(b'\n');
        Response::new(status, "application/json", body)
    }

    /// One more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the response and closes the connection: one exchange per connection keeps
    /// every connection's life, and so the thread serving it, bounded.
    pub fn send(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
             Cache-Control: no-store\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&self.body)?;
        stream.flush()
    }
}

/// Ends a connection whose request was refused before its body was read: the answer is sent,
/// then a bounded amount of what the client still sends is dropped (see [`DRAIN_BYTES`]).
pub fn close_unread(stream: &mut TcpStream) {
    // Failures here only mean the client is gone already.
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(DRAIN_TIME));
    let _ = std::io::copy(&mut (&*stream).take(DRAIN_BYTES), &mut std::io::sink());
}

/// The reason phrase of the statuses we send.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Sends `raw` to a loopback connection and reads it back as a request.
    fn exchange(raw: &'static [u8], limits: Limits) -> Result<Request, ReadError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(raw).unwrap();
            c
        });
        let (mut server, _) = listener.accept().unwrap();
        let _client = client.join().unwrap();
        read_request(&mut server, limits)
    }

    const LIMITS: Limits = Limits {
        max_body: 16,
        read_timeout: Duration::from_secs(5),
    };

    #[test]
    fn a_request_is_read_with_its_headers_and_body() {
        let r = exchange(
            b"POST /v1/requests?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\nContent-Length: 2\r\n\r\n{}",
            LIMITS,
        )
        .unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/requests")
        );
        assert_eq!(r.header("authorization"), Some("Bearer t"));
        assert_eq!(r.body, b"{}");
    }

    #[test]
    fn a_body_over_the_limit_is_refused_from_its_length_alone() {
        let e = exchange(b"POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", LIMITS).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::BodyTooLarge {
                    length: 17,
                    limit: 16
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn chunked_bodies_and_garbage_are_refused() {
        let e = exchange(
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            LIMITS,
        )
        .unwrap_err();
        assert!(matches!(e, ReadError::LengthRequired), "{e}");
        let e = exchange(b"\x16\x03\x01 hello\r\n\r\n", LIMITS).unwrap_err();
        assert!(matches!(e, ReadError::Malformed(_)), "{e}");
        let e = exchange(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", LIMITS).unwrap_err();
        assert!(matches!(e, ReadError::Malformed(_)), "{e}");
    }

    #[test]
    fn a_client_that_stops_sending_is_cut_off_at_the_deadline() {
        let e = exchange(
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            Limits {
                max_body: 16,
                read_timeout: Duration::from_millis(100),
            },
        )
        .unwrap_err();
        assert!(matches!(e, ReadError::TooSlow(_)), "{e}");
    }
}
