//! The fault server: a loopback HTTP server that answers every request, whatever its path, with
//! one misbehaviour. It speaks raw TCP rather than through a library, because several faults
//! (a reset, a body shorter than announced, a stall after the head) are what no well-behaved
//! server library would send.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::gzip;

/// `[http] max_body_mib` in the configuration of every fault cell: the oversized and bomb
/// bodies exceed it.
pub const MAX_BODY_MIB: u64 = 1;

/// One way a source misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFault {
    /// 401 Unauthorized (a token refused).
    Unauthorized,
    /// 403 Forbidden (a WAF or an expired session).
    Forbidden,
    /// 429 without `Retry-After`.
    TooMany,
    /// 429 with `Retry-After: 1`.
    TooManyRetryAfter,
    /// 500 Internal Server Error.
    ServerError,
    /// 503 Service Unavailable.
    Unavailable,
    /// A 200 head announcing a body, then silence.
    Stall,
    /// The connection reset before any answer.
    Reset,
    /// A 200 whose body stops well short of its `Content-Length`.
    Truncated,
    /// A 200 whose body (no length announced) runs past `[http] max_body_mib`.
    Oversized,
    /// A gzip body, small on the wire, that inflates far past `[http] max_body_mib`.
    Bomb,
    /// A 200 HTML page (a login or challenge page) where data was expected.
    Html,
}

impl HttpFault {
    /// Every HTTP fault, in the order of the report's columns.
    pub const ALL: [HttpFault; 12] = [
        HttpFault::Unauthorized,
        HttpFault::Forbidden,
        HttpFault::TooMany,
        HttpFault::TooManyRetryAfter,
        HttpFault::ServerError,
        HttpFault::Unavailable,
        HttpFault::Stall,
        HttpFault::Reset,
        HttpFault::Truncated,
        HttpFault::Oversized,
        HttpFault::Bomb,
        HttpFault::Html,
    ];

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            HttpFault::Unauthorized => "401",
            HttpFault::Forbidden => "403",
            HttpFault::TooMany => "429",
            HttpFault::TooManyRetryAfter => "429+RA",
            HttpFault::ServerError => "500",
            HttpFault::Unavailable => "503",
            HttpFault::Stall => "stall",
            HttpFault::Reset => "reset",
            HttpFault::Truncated => "truncated",
            HttpFault::Oversized => "oversized",
            HttpFault::Bomb => "gzip bomb",
            HttpFault::Html => "html",
        }
    }
}

/// The running server; it stops accepting when dropped (a stalled reply already sent stays
/// silent until the client gives up).
pub struct FaultServer {
    url: String,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    worker: Option<thread::JoinHandle<()>>,
}

impl FaultServer {
    /// Answers every request on a free port of 127.0.0.1 with `fault`.
    pub fn start(fault: HttpFault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (Arc::clone(&hits), Arc::clone(&stop));
        let worker = thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                h.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || answer(stream, fault));
            }
        });
        FaultServer {
            url,
            hits,
            stop,
            worker: Some(worker),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many connections arrived.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn answer(mut stream: TcpStream, fault: HttpFault) {
    // A reset is answered with the request unread (see `respond`).
    if fault != HttpFault::Reset && read_head(&mut stream).is_none() {
        return;
    }
    let _ = respond(&mut stream, fault);
}

/// Reads up to the blank line that ends the request head (the faulted sources only GET).
fn read_head(stream: &mut TcpStream) -> Option<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        head.extend_from_slice(&buf[..n]);
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    Some(())
}

fn respond(stream: &mut TcpStream, fault: HttpFault) -> std::io::Result<()> {
    let whole = |status: &str, headers: &str, body: &[u8]| {
        let mut out = format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    };
    let json = "Content-Type: application/json\r\n";
    let reply = match fault {
        HttpFault::Reset => {
            // Closing with the request unread makes the kernel send RST, not FIN.
            thread::sleep(Duration::from_millis(50));
            return Ok(());
        }
        HttpFault::Unauthorized => whole(
            "401 Unauthorized",
            json,
            br#"{"status":"error","errors":[{"errorCode":"UDAPI100050","message":"Invalid token used to access API"}]}"#,
        ),
        HttpFault::Forbidden => whole(
            "403 Forbidden",
            "Content-Type: text/html\r\n",
            b"<html><head><title>Access Denied</title></head><body>Access Denied</body></html>",
        ),
        HttpFault::TooMany => whole("429 Too Many Requests", json, br#"{"status":"error"}"#),
        HttpFault::TooManyRetryAfter => whole(
            "429 Too Many Requests",
            "Content-Type: application/json\r\nRetry-After: 1\r\n",
            br#"{"status":"error"}"#,
        ),
        HttpFault::ServerError => whole("500 Internal Server Error", json, b"{}"),
        HttpFault::Unavailable => whole(
            "503 Service Unavailable",
            "Content-Type: text/html\r\n",
            b"<html><body>Service Unavailable</body></html>",
        ),
        HttpFault::Stall => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
            )?;
            stream.flush()?;
            thread::sleep(Duration::from_secs(60));
            return Ok(());
        }
        HttpFault::Truncated => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000\r\nConnection: close\r\n\r\n".to_vec();
            out.extend_from_slice(br#"{"status":"success","data":[{"instrument_key":"NSE_EQ|"#);
            out
        }
        HttpFault::Oversized => {
            // No length announced: only counting the bytes as they come can stop it.
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
            )?;
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..(MAX_BODY_MIB + 2) * 16 {
                stream.write_all(&chunk)?;
            }
            b"]".to_vec()
        }
        HttpFault::Bomb => whole(
            "200 OK",
            "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
            &gzip::bomb(256 * 1024 * 1024),
        ),
        HttpFault::Html => whole(
            "200 OK",
            "Content-Type: text/html; charset=utf-8\r\n",
            b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Please enable JavaScript and cookies to continue</body></html>",
        ),
    };
    stream.write_all(&reply)?;
    stream.flush()
}
