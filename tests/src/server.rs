//! An HTTP server on 127.0.0.1 that serves a directory of fixture files, with per-path scripts
//! of misbehaviour (status codes, Retry-After, delays, broken bodies) for failure tests.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The file of that name from the served directory.
    File,
    /// This status with this body.
    Status(u16, String),
    /// 429 with `Retry-After: <secs>`.
    RetryAfter(u64),
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// Wait this long, then serve the file (the client should have given up by then).
    Delay(Duration),
    /// A 200 head announcing a body, then silence for this long, then close: a server that
    /// hangs mid-reply.
    Stall(Duration),
}

#[derive(Default)]
struct State {
    root: PathBuf,
    scripts: HashMap<String, Vec<Reply>>,
    log: Vec<(String, Instant)>,
}

/// A server on 127.0.0.1 that hands each request, on its own thread (so a delayed reply does
/// not hold up the others), to `answer` with the shared state; it stops when dropped. The
/// test kits' servers are this and their own state.
pub struct Loopback<S> {
    url: String,
    state: Arc<Mutex<S>>,
    server: Arc<tiny_http::Server>,
    worker: Option<thread::JoinHandle<()>>,
}

impl<S: Send + 'static> Loopback<S> {
    /// Listens on `port` of 127.0.0.1 (0 for any free port).
    pub fn start(
        port: u16,
        state: S,
        answer: fn(tiny_http::Request, &Mutex<S>),
    ) -> std::io::Result<Self> {
        let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
        let url = format!(
            "http://{}",
            server.server_addr().to_ip().expect("an IP listener")
        );
        let server = Arc::new(server);
        let state = Arc::new(Mutex::new(state));
        let (s, st) = (Arc::clone(&server), Arc::clone(&state));
        let worker = thread::spawn(move || {
            for request in s.incoming_requests() {
                let st = Arc::clone(&st);
                thread::spawn(move || answer(request, &st));
            }
        });
        Ok(Loopback {
            url,
            state,
            server,
            worker: Some(worker),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The state the answers share.
    pub fn state(&self) -> std::sync::MutexGuard<'_, S> {
        self.state.lock().unwrap()
    }
}

impl<S> Drop for Loopback<S> {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The running server; it stops when dropped.
pub struct FixtureServer(Loopback<State>);

impl FixtureServer {
    /// Serves the files of `root` on 127.0.0.1, on `port` (0 for any free port).
    pub fn start(root: &Path, port: u16) -> std::io::Result<Self> {
        let state = State {
            root: root.to_path_buf(),
            ..State::default()
        };
        Loopback::start(port, state, answer).map(FixtureServer)
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        self.0.url()
    }

    /// Serves another directory from now on.
    pub fn set_root(&self, root: &Path) {
        self.0.state().root = root.to_path_buf();
    }

    /// Scripts the replies for `/<file>`: each request takes the next; the last one repeats.
    pub fn script(&self, file: &str, replies: Vec<Reply>) {
        self.0.state().scripts.insert(format!("/{file}"), replies);
    }

    /// Forgets every script.
    pub fn clear_scripts(&self) {
        self.0.state().scripts.clear();
    }

    /// How many requests arrived, for any path.
    pub fn request_count(&self) -> usize {
        self.0.state().log.len()
    }

    /// When each request for `/<file>` arrived.
    pub fn arrivals(&self, file: &str) -> Vec<Instant> {
        let path = format!("/{file}");
        let state = self.0.state();
        state
            .log
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, t)| *t)
            .collect()
    }
}

fn answer(request: tiny_http::Request, state: &Mutex<State>) {
    let path = request.url().split('?').next().unwrap_or("/").to_string();
    let (reply, root) = {
        let mut st = state.lock().unwrap();
        st.log.push((path.clone(), Instant::now()));
        let reply = match st.scripts.get_mut(&path) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list[0].clone(),
            None => Reply::File,
        };
        (reply, st.root.clone())
    };
    let file = || {
        let name = path.trim_start_matches('/');
        let safe = !name.is_empty() && !name.contains("..");
        match safe.then(|| std::fs::read(root.join(name))) {
            Some(Ok(bytes)) => tiny_http::Response::from_data(bytes)
                .with_header(header("Content-Type", "text/csv")),
            _ => {
                tiny_http::Response::from_data(b"<html><body>404 Not Found</body></html>".to_vec())
                    .with_status_code(404)
                    .with_header(header("Content-Type", "text/html"))
            }
        }
    };
    let response = match reply {
        Reply::Stall(silence) => {
            let mut raw = request.into_writer();
            let _ = raw.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n",
            );
            let _ = raw.flush();
            thread::sleep(silence);
            return;
        }
        Reply::File => file(),
        Reply::Status(code, body) => tiny_http::Response::from_data(body.into_bytes())
            .with_status_code(code)
            .with_header(header("Content-Type", "text/html")),
        Reply::RetryAfter(secs) => tiny_http::Response::from_data(b"Too Many Requests".to_vec())
            .with_status_code(429)
            .with_header(header("Retry-After", &secs.to_string())),
        Reply::Body(bytes) => tiny_http::Response::from_data(bytes),
        Reply::Delay(wait) => {
            thread::sleep(wait);
            file()
        }
    };
    let _ = request.respond(response);
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}
