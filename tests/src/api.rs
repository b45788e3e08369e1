//! `upstox-jobs api` on loopback for the whole-binary tests: [`ApiServer`] starts it in a
//! sandbox with a bearer token configured and learns its port from its first line; [`call`]
//! is a plain HTTP/1.1 client, one request per connection, as the server answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::binary::Sandbox;

/// The bearer token the sandbox's credential file holds.
pub const TOKEN: &str = "api-test-token-0123456789";

/// Configuration for the API in the sandbox at `dir`: the token file (written here) named
/// under `[credentials]`, and `[api]` keys from `api` (TOML lines, may be empty).
pub fn config(dir: &Path, api: &str) -> String {
    std::fs::write(dir.join("api-token"), format!("{TOKEN}\n")).expect("token written");
    format!(
        "[credentials]\napi-token = \"{}\"\n[api]\n{api}",
        dir.join("api-token").display()
    )
}

/// A running `upstox-jobs api`.
pub struct ApiServer {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl ApiServer {
    /// Starts it in `sandbox` (configured with [`config`]) on a free loopback port.
    pub fn start(sandbox: &Sandbox) -> Self {
        let mut cmd = sandbox.command_without_data_dir("upstox-jobs", &[]);
        cmd.arg("--data-dir")
            .arg(sandbox.data_dir())
            .args(["api", "--listen", "127.0.0.1:0"]);
        Self::spawn(cmd)
    }

    /// Starts `cmd`, an `upstox-jobs api` however it gets its socket, and waits for the line
    /// that says where it serves.
    pub fn spawn(mut cmd: std::process::Command) -> Self {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("upstox-jobs api starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr piped"));
        let mut first = String::new();
        let mut seen = String::new();
        let addr = loop {
            first.clear();
            if lines.read_line(&mut first).expect("stderr read") == 0 {
                let status = child.wait().expect("exited");
                panic!("upstox-jobs api exited ({status}) before serving:\n{seen}");
            }
            seen.push_str(&first);
            if let Some(rest) = first.split("serving on ").nth(1) {
                let addr = rest.split([';', ' ']).next().unwrap_or("");
                break addr.parse().unwrap_or_else(|e| panic!("{addr:?}: {e}"));
            }
        };
        let log = Arc::new(Mutex::new(seen));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        ApiServer { child, addr, log }
    }

    /// Where it serves.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `GET path`, with the token if `token`.
    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        call(self.addr, "GET", path, token, None)
    }

    /// `method path` with a JSON body and the right token.
    pub fn send(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        call(
            self.addr,
            method,
            path,
            Some(TOKEN),
            body.map(str::as_bytes),
        )
    }

    /// Waits up to `bound` for it to exit on its own; `None` if it is still running then.
    pub fn exit_within(&mut self, bound: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < bound {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Reply {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics, showing it, if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The `error` of a JSON error body, which must also carry a `hint`.
    pub fn error(&self) -> String {
        let v = self.json();
        assert!(
            v["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "no hint: {}",
            self.body
        );
        v["error"].as_str().expect("an error").to_string()
    }
}

/// One request on a new connection: `method path`, the bearer `token` if any, `body` if any.
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(body.unwrap_or_default());
    raw_call(addr, &raw)
}

/// Sends `raw` as is and reads the answer to the end (the server closes after each one).
pub fn raw_call(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(raw).expect("request sent");
    read_reply(&mut stream)
}

/// Reads an answer from `stream` to its end.
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut text = Vec::new();
    stream.read_to_end(&mut text).expect("answer read");
    let text = String::from_utf8_lossy(&text).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}
