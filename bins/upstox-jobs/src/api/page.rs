//! The status page at `GET /`: the eight jobs (last result, duration, next run, overdue), the
//! last failures with their error, the request queue and how fresh the data is. Plain
//! server-rendered HTML with a little inline CSS, no script; one column on a phone. Every
//! value read from the database is escaped ([`Html`]).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use common::calendar::ist_minute;
use common::requests::RequestView;
use common::text::Html;
use rusqlite::Connection;

use super::Api;
use super::freshness::{self, Freshness};
use super::http::Response;
use super::{jobs, requests};
use crate::status::{self, JobStatus};

/// Requests shown: queued and running first, then the newest finished.
const REQUESTS_SHOWN: usize = 20;

/// Failed, partial and interrupted runs shown.
const FAILURES_SHOWN: usize = 10;

/// The characters of an error shown; the rest is in `upstox-jobs runs` and the journal.
const ERROR_SHOWN: usize = 300;

/// A run that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The job.
    pub job: String,
    /// `failed`, `partial` or `interrupted`.
    pub status: String,
    /// When it started (as stored).
    pub started_at: String,
    /// Its error, else its summary.
    pub error: String,
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct Status {
    /// When it was read.
    pub now: DateTime<Utc>,
    /// Every job.
    pub jobs: Vec<JobStatus>,
    /// The newest runs that did not succeed.
    pub failures: Vec<Failure>,
    /// The request queue.
    pub requests: Vec<RequestView>,
    /// The newest data of each kind.
    pub freshness: Freshness,
}

/// The answer to `GET /`.
pub fn answer(api: &Api) -> anyhow::Result<Response> {
    let conn = api.read()?;
    let status = Status {
        now: Utc::now(),
        jobs: jobs::collect(api, conn.as_ref())?,
        failures: conn
            .as_ref()
            .map(last_failures)
            .transpose()?
            .unwrap_or_default(),
        requests: requests::queued(api, REQUESTS_SHOWN)
            .map_err(|e| anyhow::anyhow!("{}", e.error))?,
        freshness: freshness::read(conn.as_ref(), &api.backups)?,
    };
    Ok(Response::new(
        200,
        "text/html; charset=utf-8",
        render(&status),
    ))
}

/// The newest runs that failed, were partial or were interrupted.
pub fn last_failures(conn: &Connection) -> rusqlite::Result<Vec<Failure>> {
    let mut stmt = conn.prepare(
        "SELECT job, status, started_at, COALESCE(error, summary, '')
         FROM job_runs WHERE status IN ('failed', 'partial', 'interrupted')
         ORDER BY id DESC LIMIT ?1",
    )?;
    stmt.query_map([FAILURES_SHOWN as i64], |r| {
        Ok(Failure {
            job: r.get(0)?,
            status: r.get(1)?,
            started_at: r.get(2)?,
            error: r.get(3)?,
        })
    })?
    .collect()
}

const STYLE: &str = "
body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:0 1rem 2rem;color:#1b1f24;background:#f6f7f9}
header{padding:1rem 0 .25rem}h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.sub{color:#57606a;margin:.25rem 0}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#eef1f4;font-weight:600}
.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}.muted{color:#57606a}
.flag{display:inline-block;background:#cf222e;color:#fff;border-radius:4px;padding:0 .35rem;font-size:.85em;margin-left:.3rem}
ul{padding:0;list-style:none;margin:0}li{background:#fff;border:1px solid #d0d7de;padding:.5rem .6rem;margin-bottom:.4rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#fff;border:1px solid #d0d7de;padding:.6rem;margin:0}dt{font-weight:600}dd{margin:0}
@media (max-width:600px){
thead{display:none}table,tbody,tr,td{display:block;width:auto}
tr{border-bottom:2px solid #d0d7de;padding:.3rem 0}td{border:0;padding:.15rem .6rem}
td::before{content:attr(data-label);display:inline-block;min-width:6.5rem;color:#57606a}
td.job{font-size:1.05rem;padding-top:.3rem}td.job::before{content:none}
dl{grid-template-columns:1fr}dt{margin-top:.3rem}}
";

/// The page.
pub fn render(s: &Status) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let attention = s.jobs.iter().filter(|j| j.needs_attention()).count();
    let summary = match attention {
        0 => "<span class=\"ok\">every job ran as expected</span>".to_string(),
        1 => "<span class=\"bad\">1 job needs attention</span>".to_string(),
        n => format!("<span class=\"bad\">{n} jobs need attention</span>"),
    };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>upstox-jobs status</title><style>{STYLE}</style></head><body>\n\
         <header><h1>upstox-jobs</h1><p class=\"sub\">{summary} · as of {} IST</p></header>\n",
        ist_minute(s.now)
    );
    jobs_table(&mut out, &s.jobs);
    failures(&mut out, &s.failures);
    queue(&mut out, &s.requests);
    freshness_list(&mut out, &s.freshness, s.now);
    out.push_str("</body></html>\n");
    out
}

fn jobs_table(out: &mut String, jobs: &[JobStatus]) {
    out.push_str(
        "<section id=\"jobs\"><h2>Jobs</h2><table><thead><tr><th>Job</th><th>Last run (IST)</th>\
         <th>Result</th><th>Took</th><th>Next run (IST)</th></tr></thead><tbody>\n",
    );
    for j in jobs {
        let (when, result, took) = match &j.last {
            None => (
                "never".to_string(),
                "<span class=\"muted\">-</span>".to_string(),
                "-".to_string(),
            ),
            Some(r) => {
                let class = match r.status.as_str() {
                    "succeeded" | "skipped" => "ok",
                    "running" => "warn",
                    _ => "bad",
                };
                (
                    ist_minute(r.started),
                    format!("<span class=\"{class}\">{}</span>", Html(&r.status)),
                    status::took(r.duration_ms),
                )
            }
        };
        let overdue = match j.overdue_since {
            Some(due) => format!(
                "<span class=\"flag\" title=\"no successful run for the one due by {} IST\">overdue</span>",
                ist_minute(due)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"job\" data-label=\"Job\"><b>{}</b></td><td data-label=\"Last run\">{when}</td>\
             <td data-label=\"Result\">{result}{overdue}</td><td data-label=\"Took\">{took}</td>\
             <td data-label=\"Next run\">{}</td></tr>",
            Html(j.job.name),
            Html(&j.next.describe())
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn failures(out: &mut String, failures: &[Failure]) {
    out.push_str("<section id=\"failures\"><h2>Last failures</h2>");
    if failures.is_empty() {
        out.push_str("<p class=\"muted\">none recorded</p></section>\n");
        return;
    }
    out.push_str("<ul>");
    for f in failures {
        let when = DateTime::parse_from_rfc3339(&f.started_at).map_or_else(
            |_| f.started_at.clone(),
            |t| ist_minute(t.to_utc()) + " IST",
        );
        let error = common::text::excerpt(&f.error, ERROR_SHOWN);
        let _ = write!(
            out,
            "<li><b>{}</b> <span class=\"bad\">{}</span> <span class=\"muted\">{}</span><br>{}</li>",
            Html(&f.job),
            Html(&f.status),
            Html(&when),
            Html(&error)
        );
    }
    out.push_str("</ul></section>\n");
}

fn queue(out: &mut String, requests: &[RequestView]) {
    out.push_str("<section id=\"requests\"><h2>Requests</h2>");
    if requests.is_empty() {
        out.push_str("<p class=\"muted\">none</p></section>\n");
        return;
    }
    out.push_str(
        "<table><thead><tr><th>Request</th><th>State</th><th>Asked by</th>\
         <th>Asked (IST)</th></tr></thead><tbody>\n",
    );
    for r in requests {
        let class = match r.state.as_str() {
            "succeeded" => "ok",
            "queued" | "running" => "warn",
            _ => "bad",
        };
        let args = r.args.join(" ");
        let _ = writeln!(
            out,
            "<tr><td class=\"job\" data-label=\"Request\"><b>#{} {}</b> <span class=\"muted\">{}</span></td>\
             <td data-label=\"State\"><span class=\"{class}\">{}</span></td>\
             <td data-label=\"Asked by\">{}</td><td data-label=\"Asked\">{}</td></tr>",
            r.id,
            Html(&r.job),
            Html(&common::text::excerpt(&args, 120)),
            Html(r.state.as_str()),
            Html(&r.requested_by),
            ist_minute(r.created)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn freshness_list(out: &mut String, f: &Freshness, now: DateTime<Utc>) {
    out.push_str("<section id=\"freshness\"><h2>Data freshness</h2><dl>");
    for (what, at) in [
        ("Newest candle", f.candle),
        ("Newest announcement", f.announcement),
        ("Newest news article", f.article),
        ("Newest backup", f.backup),
    ] {
        let value = match at {
            Some(t) => format!(
                "{} IST <span class=\"muted\">({})</span>",
                ist_minute(t),
                age(now, t)
            ),
            None => "<span class=\"muted\">none yet</span>".to_string(),
        };
        let _ = write!(out, "<dt>{what}</dt><dd>{value}</dd>");
    }
    out.push_str("</dl></section>\n");
}

/// How long ago `t` was, roughly: "5 min ago", "3 h ago", "2 days ago".
fn age(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 0 => "in the future".to_string(),
        s if s < 120 => "just now".to_string(),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_escaped_on_the_page() {
        let page = render(&Status {
            now: Utc::now(),
            jobs: Vec::new(),
            failures: vec![Failure {
                job: "market-sync".into(),
                status: "failed".into(),
                started_at: "2026-11-20T04:00:00Z".into(),
                error: "<script>alert(1)</script> & \"x\"".into(),
            }],
            requests: Vec::new(),
            freshness: Freshness::default(),
        });
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"),
            "{page}"
        );
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("2026-11-20 09:30 IST"), "{page}");
    }

    #[test]
    fn ages_read_as_a_person_says_them() {
        let now = Utc::now();
        assert_eq!(age(now, now - chrono::Duration::minutes(30)), "30 min ago");
        assert_eq!(age(now, now - chrono::Duration::hours(5)), "5 h ago");
        assert_eq!(age(now, now - chrono::Duration::days(9)), "9 days ago");
    }
}
