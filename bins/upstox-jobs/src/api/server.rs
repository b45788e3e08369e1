//! The listening socket, the threads that serve it, and the exit after an idle time.
//!
//! Under `upstox-jobs-api.socket`, systemd listens and passes the socket as fd 3
//! (sd_listen_fds(3): `LISTEN_FDS`, `LISTEN_PID`); by hand and in tests, `--listen ADDR`
//! binds one. A fixed number of threads each accept and serve one connection at a time, so
//! a burst waits in the socket's backlog rather than growing threads without bound.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::Exit;
use common::harness::Fatal;

use super::Api;
use super::http::{self, Limits, ReadError};
use super::routes::{self, ApiError};

/// The first passed file descriptor (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: i32 = 3;

/// Where the socket comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Passed by systemd.
    Systemd,
    /// Bound to this address (`--listen`).
    Address(SocketAddr),
}

/// What systemd's environment says was passed to this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passed {
    /// No socket: not started by a socket unit.
    Nothing,
    /// One socket at fd 3.
    Socket,
    /// The variables are there but not for us, or not one socket.
    Wrong(String),
}

/// Reads `LISTEN_PID` and `LISTEN_FDS` as sd_listen_fds(3) does: they count only when
/// `LISTEN_PID` is this process (a child inheriting them must not take the parent's fd).
pub fn passed(listen_pid: Option<&str>, listen_fds: Option<&str>, pid: u32) -> Passed {
    match (listen_pid, listen_fds) {
        (None, None) => Passed::Nothing,
        (Some(p), Some(n)) if p.trim().parse::<u32>().ok() == Some(pid) => {
            match n.trim().parse::<u32>() {
                Ok(1) => Passed::Socket,
                _ => Passed::Wrong(format!(
                    "LISTEN_FDS={n}: expected exactly one socket; give the socket unit one ListenStream="
                )),
            }
        }
        (p, n) => Passed::Wrong(format!(
            "LISTEN_PID={} LISTEN_FDS={} are not for this process (pid {pid}); \
             start it from upstox-jobs-api.socket or with --listen",
            p.unwrap_or("unset"),
            n.unwrap_or("unset")
        )),
    }
}

/// The listening socket, from systemd or bound to `listen`.
pub fn listener(listen: Option<SocketAddr>) -> anyhow::Result<(TcpListener, Source)> {
    let env = |k: &str| std::env::var(k).ok();
    let found = passed(
        env("LISTEN_PID").as_deref(),
        env("LISTEN_FDS").as_deref(),
        std::process::id(),
    );
    match (found, listen) {
        (_, Some(addr)) => {
            let socket = TcpListener::bind(addr).map_err(|e| {
                Fatal::new(
                    Exit::Unavailable,
                    format!("cannot listen on {addr}: {e}; pick a free address with --listen"),
                )
            })?;
            Ok((socket, Source::Address(addr)))
        }
        (Passed::Socket, None) => Ok((systemd_socket()?, Source::Systemd)),
        (Passed::Wrong(why), None) => Err(Fatal::new(Exit::Usage, why).into()),
        (Passed::Nothing, None) => Err(Fatal::new(
            Exit::Usage,
            "no socket to serve: start upstox-jobs-api.socket (systemd passes the socket), \
             or give --listen 127.0.0.1:8765",
        )
        .into()),
    }
}

/// Takes fd 3 as the listening socket, checking it is one.
fn systemd_socket() -> anyhow::Result<TcpListener> {
    // SAFETY: a borrow for this check only; whatever fd 3 is, asking its flags is harmless.
    let borrowed = unsafe { BorrowedFd::borrow_raw(LISTEN_FDS_START) };
    if rustix::io::fcntl_getfd(borrowed).is_err() {
        return Err(Fatal::new(
            Exit::Usage,
            "LISTEN_FDS=1 names fd 3, but fd 3 is not open: start the service from              upstox-jobs-api.socket, or give --listen",
        )
        .into());
    }
    // SAFETY: fd 3 is open, and LISTEN_PID names this process, so systemd passed it to us;
    // nothing else in the process owns it (this runs once, before any thread starts).
    let fd = unsafe { OwnedFd::from_raw_fd(LISTEN_FDS_START) };
    // Not inherited by the job binaries the request checks run.
    rustix::io::fcntl_setfd(&fd, rustix::io::FdFlags::CLOEXEC)?;
    let listener = TcpListener::from(fd);
    listener.local_addr().map_err(|e| {
        Fatal::new(
            Exit::Config,
            format!(
                "fd 3 from systemd is not a TCP socket ({e}): the socket unit needs \
                 ListenStream=ADDRESS:PORT"
            ),
        )
    })?;
    Ok(listener)
}

/// When the last request ended, and how many are being served.
struct Activity {
    state: Mutex<(Instant, usize)>,
    changed: Condvar,
}

impl Activity {
    fn begin(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.1 += 1;
    }

    fn end(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0 = Instant::now();
        s.1 = s.1.saturating_sub(1);
        self.changed.notify_all();
    }

    /// Waits until nothing has been served for `idle`.
    fn wait_idle(&self, idle: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let quiet = s.0.elapsed();
            if s.1 == 0 && quiet >= idle {
                return;
            }
            let wait = if s.1 == 0 { idle - quiet } else { idle };
            s = self
                .changed
                .wait_timeout(s, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Serves `listener` with `api` until nothing has been asked for `[api] idle_secs`.
pub fn serve(listener: TcpListener, api: Api) -> anyhow::Result<()> {
    let config = api.config.clone();
    let api = Arc::new(api);
    let activity = Arc::new(Activity {
        state: Mutex::new((Instant::now(), 0)),
        changed: Condvar::new(),
    });
    let limits = Limits {
        max_body: config.max_body_bytes,
        read_timeout: Duration::from_secs_f64(config.read_timeout_secs),
    };
    for _ in 0..config.max_connections {
        let listener = listener.try_clone()?;
        let (api, activity) = (Arc::clone(&api), Arc::clone(&activity));
        std::thread::Builder::new()
            .name("api-connection".into())
            .spawn(move || {
                loop {
                    let Ok((stream, _)) = listener.accept() else {
                        // EMFILE and the like: let the others serve while this one waits.
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    };
                    activity.begin();
                    serve_connection(stream, &api, limits);
                    activity.end();
                }
            })?;
    }
    activity.wait_idle(Duration::from_secs_f64(config.idle_secs));
    Ok(())
}

/// One connection: one request, one answer.
fn serve_connection(mut stream: TcpStream, api: &Api, limits: Limits) {
    // Answers a client that stopped reading still end; the write bound matches the read one.
    let _ = stream.set_write_timeout(Some(limits.read_timeout));
    let (response, unread) = match http::read_request(&mut stream, limits) {
        Ok(request) => (routes::handle(api, &request), false),
        Err(ReadError::Closed | ReadError::Io(_)) => return,
        Err(e) => (refusal(&e).response(), true),
    };
    // A client gone before its answer is nothing to report.
    let _ = response.send(&mut stream);
    if unread {
        http::close_unread(&mut stream);
    }
}

/// The answer to a request that could not be read.
fn refusal(e: &ReadError) -> ApiError {
    let (status, hint) = match e {
        ReadError::BodyTooLarge { limit, .. } => (
            413,
            format!("send at most {limit} bytes, or raise [api] max_body_bytes"),
        ),
        ReadError::TooSlow(_) => (
            408,
            "send the whole request at once; [api] read_timeout_secs bounds it".to_string(),
        ),
        ReadError::HeadTooLarge => (431, "send fewer and shorter headers".to_string()),
        ReadError::LengthRequired => (
            411,
            "send the body with a Content-Length header, not chunked".to_string(),
        ),
        _ => (400, "send an HTTP/1.1 request".to_string()),
    };
    ApiError::new(status, e.to_string(), hint)
}

/// The address a test or a person connects to, for the start-up line.
pub fn describe(listener: &TcpListener, source: Source) -> String {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    match source {
        Source::Systemd => format!("{addr} (socket from systemd)"),
        Source::Address(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemds_variables_count_only_for_this_process_and_one_socket() {
        assert_eq!(passed(None, None, 7), Passed::Nothing);
        assert_eq!(passed(Some("7"), Some("1"), 7), Passed::Socket);
        assert!(matches!(passed(Some("8"), Some("1"), 7), Passed::Wrong(_)));
        assert!(matches!(passed(Some("7"), Some("2"), 7), Passed::Wrong(_)));
        assert!(matches!(passed(None, Some("1"), 7), Passed::Wrong(_)));
    }
}
