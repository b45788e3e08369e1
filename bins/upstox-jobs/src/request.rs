//! `upstox-jobs request`: ask for a run of a job from a shell, and follow it (show, wait,
//! cancel, list). The request goes through `common::requests::accept`, as a spool file or an
//! HTTP body does.

use std::io::Write;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::Exit;
use common::calendar::IST;
use common::harness::Fatal;
use common::requests::{
    self, Origin, RequestDoc, RequestError, RequestId, RequestState, RequestView, Requests,
};

/// How often `wait` looks at the request.
const WAIT_POLL: Duration = Duration::from_millis(200);

const AFTER_HELP: &str = "\
Examples:
  upstox-jobs request market-sync -- --symbols INFY,TCS --force     prints the request's id
  upstox-jobs request db-backup --wait --timeout 600                waits for the result

Exit status of request --wait and request wait: 0 the request succeeded; 1 it ended partial,
failed, cancelled, expired or interrupted; 75 --timeout passed first (the request goes on).
A request refused at once (unknown job, a flag not allowed, the job's own usage) exits 2.

Any program in group upstox may drop a request as a file in the spool directory ([requests]
spool_dir, /var/spool/upstox-jobs/requests): write {\"job\": \"market-sync\", \"args\":
[\"--symbols\", \"INFY\"], \"requested_by\": \"app\"} under a hidden name, then rename it to
NAME.json. A refused file is moved to rejected/ with NAME.json.error saying why.";

/// `upstox-jobs request`.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = AFTER_HELP
)]
pub struct RequestArgs {
    /// Follow a request instead of making one.
    #[command(subcommand)]
    pub command: Option<RequestCommand>,
    /// The job to run (market-sync, db-backup, …)
    #[arg(value_name = "JOB", required = true)]
    pub job: Option<String>,
    /// The job's arguments, after `--`, as on its own command line
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
    /// Wait for the request to finish; the exit code says how it ended (as `request wait`)
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up waiting after this many seconds (exit 75; the request goes on)
    #[arg(long, value_name = "SECS", requires = "wait")]
    pub timeout: Option<f64>,
    /// Higher runs first, from -100 to 100
    #[arg(
        long,
        default_value_t = 0,
        allow_negative_numbers = true,
        value_name = "N"
    )]
    pub priority: i32,
    /// Give the request up if it has not started by then (RFC 3339, e.g. 2026-12-05T10:00:00Z)
    #[arg(long, value_name = "TIME")]
    pub deadline: Option<DateTime<Utc>>,
    /// Who asks [default: $USER]
    #[arg(long, value_name = "WHO")]
    pub requested_by: Option<String>,
}

/// `upstox-jobs request show|wait|cancel|list`.
#[derive(Debug, clap::Subcommand)]
pub enum RequestCommand {
    /// A request: its state and, once run, its result
    Show {
        /// The request's id
        id: RequestId,
        /// Print it as JSON (what GET /v1/requests/ID returns)
        #[arg(long)]
        json: bool,
    },
    /// Wait for a request to finish: 0 succeeded, 1 partial, failed, cancelled, expired or
    /// interrupted, 75 when --timeout passed first
    Wait {
        /// The request's id
        id: RequestId,
        /// Give up waiting after this many seconds (the request goes on)
        #[arg(long, value_name = "SECS")]
        timeout: Option<f64>,
    },
    /// Cancel a request: a queued one never runs, a running one is stopped
    Cancel {
        /// The request's id
        id: RequestId,
    },
    /// The requests kept: waiting and running first, then the newest finished
    List {
        /// At most this many
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        /// Print them as JSON
        #[arg(long)]
        json: bool,
    },
}

fn fatal(e: RequestError) -> anyhow::Error {
    Fatal::new(e.exit(), e.to_string()).into()
}

/// Runs `upstox-jobs request …` against `ctx`.
pub fn run(ctx: &Requests, args: &RequestArgs) -> anyhow::Result<Exit> {
    let mut out = std::io::stdout().lock();
    match &args.command {
        Some(RequestCommand::Show { id, json }) => {
            let view = find(ctx, *id)?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?;
            } else {
                write!(out, "{}", render(&view))?;
            }
            Ok(Exit::Success)
        }
        Some(RequestCommand::Wait { id, timeout }) => wait(ctx, *id, *timeout, &mut out),
        Some(RequestCommand::Cancel { id }) => {
            let view = requests::cancel(ctx, *id).map_err(fatal)?;
            let said = if view.state == RequestState::Cancelled {
                format!("request {id} cancelled: it will not run")
            } else {
                format!("request {id} is running: its dispatcher stops it and records it cancelled")
            };
            writeln!(out, "{said}")?;
            Ok(Exit::Success)
        }
        Some(RequestCommand::List { limit, json }) => {
            let conn = ctx.open().map_err(fatal)?;
            let views = requests::queue(&conn, *limit).map_err(fatal)?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&views)?)?;
            } else {
                write!(out, "{}", render_list(&views))?;
            }
            Ok(Exit::Success)
        }
        None => {
            let job = args.job.clone().unwrap_or_default();
            let doc = RequestDoc {
                job,
                args: args.args.clone(),
                requested_by: args.requested_by.clone().unwrap_or_else(requester),
                priority: args.priority,
                deadline: args.deadline,
            };
            let id = requests::accept(ctx, doc, Origin::Cli).map_err(fatal)?;
            writeln!(out, "{id}")?;
            out.flush()?;
            if args.wait {
                wait(ctx, id, args.timeout, &mut out)
            } else {
                Ok(Exit::Success)
            }
        }
    }
}

/// The person at the shell.
fn requester() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn find(ctx: &Requests, id: RequestId) -> anyhow::Result<RequestView> {
    let conn = ctx.open().map_err(fatal)?;
    requests::view(&conn, id)
        .map_err(fatal)?
        .ok_or_else(|| fatal(RequestError::NotFound(id)))
}

/// Waits for request `id` to finish, then shows it; the exit code says how it ended.
fn wait(
    ctx: &Requests,
    id: RequestId,
    timeout: Option<f64>,
    out: &mut impl Write,
) -> anyhow::Result<Exit> {
    let timeout = timeout
        .map(|t| {
            Duration::try_from_secs_f64(t).map_err(|_| {
                Fatal::new(
                    Exit::Usage,
                    format!("--timeout {t} is not a number of seconds: give one such as 600"),
                )
            })
        })
        .transpose()?;
    let started = Instant::now();
    let conn = ctx.open().map_err(fatal)?;
    loop {
        let view = requests::view(&conn, id)
            .map_err(fatal)?
            .ok_or_else(|| fatal(RequestError::NotFound(id)))?;
        if view.state.is_finished() {
            write!(out, "{}", render(&view))?;
            return Ok(exit_of(view.state));
        }
        if timeout.is_some_and(|t| started.elapsed() >= t) {
            write!(out, "{}", render(&view))?;
            return Err(Fatal::new(
                Exit::TempFail,
                format!(
                    "request {id} is still {} after {:.0}s; it goes on: `upstox-jobs request wait {id}` waits again",
                    view.state,
                    started.elapsed().as_secs_f64()
                ),
            )
            .into());
        }
        std::thread::sleep(WAIT_POLL);
    }
}

/// The exit code of `wait` for a finished request: 0 when it succeeded, else 1.
pub fn exit_of(state: RequestState) -> Exit {
    if state == RequestState::Succeeded {
        Exit::Success
    } else {
        Exit::Failure
    }
}

fn ist(at: DateTime<Utc>) -> String {
    at.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M:%S IST")
        .to_string()
}

/// A request as `request show` prints it, one fact a line.
pub fn render(v: &RequestView) -> String {
    let mut lines = vec![format!("request {}: {}", v.id, command_line(v))];
    let mut line = |label: &str, value: String| lines.push(format!("  {label:<10}{value}"));
    let cancelling = if v.cancel_requested && !v.state.is_finished() {
        ", cancel asked"
    } else {
        ""
    };
    line(
        "state",
        format!("{} (attempt {}){cancelling}", v.state, v.attempts),
    );
    line(
        "asked",
        format!(
            "{} by {} ({}), priority {}",
            ist(v.created),
            v.requested_by,
            v.origin.as_str(),
            v.priority
        ),
    );
    if let Some(deadline) = v.deadline {
        line("deadline", ist(deadline));
    }
    if let Some(started) = v.started {
        line("started", ist(started));
    }
    if let Some(finished) = v.finished {
        line("finished", ist(finished));
    }
    if let Some(run) = v.run_id {
        let exit = v.exit_code.map_or(String::new(), |c| format!(", exit {c}"));
        line("run", format!("job_runs {run}{exit}"));
    } else if let Some(code) = v.exit_code {
        line("exit", code.to_string());
    }
    if let Some(summary) = &v.summary {
        line("summary", summary.clone());
    }
    if let Some(error) = &v.error {
        line("error", error.clone());
    }
    if let Some(output) = &v.output {
        line("output", output.clone());
    }
    if let Some(note) = &v.note {
        line("note", note.clone());
    }
    if let Some(invocation) = &v.invocation_id {
        line(
            "journal",
            format!("journalctl _SYSTEMD_INVOCATION_ID={invocation}"),
        );
    }
    lines.push(String::new());
    lines.join("\n")
}

fn command_line(v: &RequestView) -> String {
    std::iter::once(format!("upstox-{}", v.job))
        .chain(v.args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The requests as `request list` prints them, a line each.
pub fn render_list(views: &[RequestView]) -> String {
    if views.is_empty() {
        return "no requests\n".to_string();
    }
    let mut text = format!(
        "{:>6}  {:<11}  {:<23}  {:<12}  {}\n",
        "ID", "STATE", "ASKED", "BY", "COMMAND"
    );
    for v in views {
        text.push_str(&format!(
            "{:>6}  {:<11}  {:<23}  {:<12}  {}\n",
            v.id.to_string(),
            v.state.as_str(),
            ist(v.created),
            v.requested_by,
            command_line(v)
        ));
    }
    text
}
