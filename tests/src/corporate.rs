//! What the corporate-announcements whole-binary tests share: a loopback server in NSE's,
//! BSE's and Upstox's formats (NSE's API answering only with the session cookie its homepage
//! sets, as the real one does), the sandbox configured for it, and readers of the tables.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

use crate::run::{JobRun, Ran};
use crate::server::Loopback;
use crate::world::{fast_http, upstox_credentials};
use crate::{Reply, Sandbox};

pub use crate::run::{Row, job_runs, last_run};

/// The binary.
pub const BIN: &str = "upstox-corporate-announcements";
/// The market clock of the runs: Monday 10 Aug 2026, after the close.
pub const NOW: &str = "2026-08-10 23:00 IST";
/// The endpoints, each with its fixture file (`tests/fixtures/corporate/<file>`).
pub const ENDPOINTS: [(&str, &str); 8] = [
    ("/api/corporates-corporateActions", "nse-actions.json"),
    ("/api/corporate-announcements", "nse-announcements.json"),
    ("/api/corporate-board-meetings", "nse-board-meetings.json"),
    ("/api/holiday-master", "nse-holidays.json"),
    ("/bse/AnnSubCategoryGetData/w", "bse-announcements.json"),
    ("/bse/DefaultData/w", "bse-actions.json"),
    ("/bse/Corpforthresults/w", "bse-results.json"),
    ("/v2/market/holidays", "upstox-holidays.json"),
];

/// NSE's answer to an API request without a valid session cookie.
pub const NSE_401: &str =
    "<html><head><title>Oops</title></head><body>No authorization token was found</body></html>";

/// The project's fixtures in the exchanges' formats.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/corporate")
}

#[derive(Default)]
struct State {
    root: PathBuf,
    scripts: HashMap<String, Vec<Reply>>,
    /// The cookie the homepage last set; API requests must carry it.
    cookie: u32,
    /// API requests answered 401 once this many have been let in with the current cookie
    /// (the cookie went stale mid-run).
    stale_after: Option<usize>,
    served_with_cookie: usize,
    log: Vec<String>,
}

/// The server; it stops when dropped.
pub struct ExchangeServer(Loopback<State>);

impl ExchangeServer {
    /// Serves `tests/fixtures/corporate` on a free port.
    pub fn start() -> Self {
        ExchangeServer(
            Loopback::start(
                0,
                State {
                    root: fixtures(),
                    ..State::default()
                },
                answer,
            )
            .expect("a loopback port"),
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        self.0.url()
    }

    /// Serves another directory of fixtures from now on.
    pub fn set_root(&self, root: &Path) {
        self.0.state().root = root.to_path_buf();
    }

    /// Scripts the replies of `path` (an [`ENDPOINTS`] path): each request takes the next,
    /// the last repeats. Scripted replies skip the cookie check.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.0.state().scripts.insert(path.to_string(), replies);
    }

    /// After `n` more API requests the session cookie goes stale: the next is refused with
    /// 401 until the homepage is fetched again.
    pub fn stale_after(&self, n: usize) {
        let mut st = self.0.state();
        st.stale_after = Some(n);
        st.served_with_cookie = 0;
    }

    /// The paths requested, in order.
    pub fn log(&self) -> Vec<String> {
        self.0.state().log.clone()
    }

    /// How many requests went to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|p| *p == path).count()
    }
}

fn answer(request: tiny_http::Request, state: &Mutex<State>) {
    let path = request.url().split('?').next().unwrap_or("/").to_string();
    let cookie = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Cookie"))
        .map(|h| h.value.as_str().to_string())
        .unwrap_or_default();
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_string());
    let mut st = state.lock().unwrap();
    st.log.push(path.clone());
    let json = |bytes: Vec<u8>| {
        tiny_http::Response::from_data(bytes)
            .with_header(header("Content-Type", "application/json"))
    };
    let html = |code: u16, body: &str| {
        tiny_http::Response::from_data(body.as_bytes().to_vec())
            .with_status_code(code)
            .with_header(header("Content-Type", "text/html"))
    };
    let response = if path == "/" {
        st.cookie += 1;
        st.served_with_cookie = 0;
        html(200, "<html><body>NSE</body></html>").with_header(header(
            "Set-Cookie",
            &format!("nseappid=session-{}; Path=/; HttpOnly", st.cookie),
        ))
    } else if let Some(list) = st.scripts.get_mut(&path) {
        let reply = if list.len() > 1 {
            list.remove(0)
        } else {
            list[0].clone()
        };
        match reply {
            Reply::Status(code, body) => html(code, &body),
            Reply::Body(bytes) => json(bytes),
            other => panic!("{other:?} is not scripted by the exchange server"),
        }
    } else {
        let Some((_, file)) = ENDPOINTS.iter().find(|(p, _)| *p == path) else {
            let _ = request.respond(html(404, "<html><body>Resource not found</body></html>"));
            return;
        };
        let valid_cookie = format!("nseappid=session-{}", st.cookie);
        let stale = st.stale_after.is_some_and(|n| st.served_with_cookie >= n);
        if path.starts_with("/api/") && (st.cookie == 0 || !cookie.contains(&valid_cookie) || stale)
        {
            // Akamai's refusal before any session, NSE's 401 page with a stale one.
            if st.cookie == 0 {
                html(
                    403,
                    "<html><head><title>Access Denied</title></head><body>You don't have permission to access this resource.</body></html>",
                )
            } else {
                if stale {
                    st.stale_after = None;
                    st.cookie += 1000;
                }
                html(401, NSE_401)
            }
        } else if path.starts_with("/v2/")
            && authorization.as_deref() != Some("Bearer test-access-token")
        {
            html(401, "{\"status\":\"error\"}")
        } else {
            if path.starts_with("/api/") {
                st.served_with_cookie += 1;
            }
            match std::fs::read(st.root.join(file)) {
                Ok(bytes) => json(bytes),
                Err(_) => html(404, "<html><body>Resource not found</body></html>"),
            }
        }
    };
    drop(st);
    let _ = request.respond(response);
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

/// The job's configuration for `url`, watching RELIANCE (and NIFTY 50's members, the
/// default, where nse-index-update's table has them), with `extra` lines appended.
pub fn config(url: &str, extra: &str) -> String {
    format!(
        "{}max_retry_after_secs = 10\n\
         [jobs.corporate-announcements]\nnse_home = \"{url}/\"\nnse_url = \"{url}/api\"\nbse_url = \"{url}/bse\"\n\
         watchlist = [\"RELIANCE\"]\n{extra}",
        fast_http(1, 0.05)
    )
}

/// `[notify.email]` to a port nobody listens on: messages wait in the outbox, where the
/// tests count them.
pub fn email() -> String {
    "[notify.email]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"none\"\nfrom = \"jobs@desk.example\"\nto = [\"desk@desk.example\"]\n".to_string()
}

/// A server and a sandbox configured for it.
pub struct Setup {
    /// The loopback exchanges.
    pub server: ExchangeServer,
    /// The sandbox.
    pub sandbox: Sandbox,
}

/// The exchanges and a sandbox whose configuration adds `extra`.
pub fn setup_with(extra: &str) -> Setup {
    let server = ExchangeServer::start();
    let sandbox = Sandbox::new(&config(server.url(), extra));
    Setup { server, sandbox }
}

/// [`setup_with`] with email notifications and an Upstox token (its holidays refreshed too).
pub fn setup() -> Setup {
    let server = ExchangeServer::start();
    let sandbox = Sandbox::new("");
    std::fs::write(sandbox.path().join("upstox_token"), crate::world::TOKEN).unwrap();
    let extra = format!(
        "{}{}[providers.upstox]\nbase_url = \"{}\"\nlimits = [{{ requests = 10000, per_secs = 1.0 }}]\n",
        email(),
        upstox_credentials(sandbox.path()),
        server.url()
    );
    sandbox.write_config(&config(server.url(), &extra));
    Setup { server, sandbox }
}

impl Setup {
    /// A run at [`NOW`].
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN).at(NOW)
    }

    /// Runs with `args` to the end.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args).run()
    }
}

/// A stored action: (source, symbol, kind, amount, ex_date, record_date).
pub type Stored = (
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// Every row of `corporate_announcements`, in key order.
pub fn announcements(conn: &Connection) -> Vec<Stored> {
    let mut stmt = conn
        .prepare(
            "SELECT source, symbol, kind, amount, ex_date, record_date FROM corporate_announcements
             ORDER BY source, exchange_id, action_no",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The outbox's messages (subject), in the order queued.
pub fn outbox(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT subject FROM notification_outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// `SELECT count(*) FROM <table>`.
pub fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}
