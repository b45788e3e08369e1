//! A binary's entry point: its command line parsed, checked and handed to the run or to a
//! command of its own, so `main.rs` is one line.

use std::process::ExitCode;

use chrono::{NaiveDate, Utc};

use crate::Exit;
use crate::calendar;
use crate::harness::docs::{self, job_exits};
use crate::harness::errors::{exit_for, is_closed_pipe, with_http_hint};
use crate::harness::run::run_job;
use crate::harness::{CommonArgs, Job, market_now};

/// A job binary's command line: the common flags, its own, and what they ask for.
pub trait Cli: clap::Parser {
    /// The job this binary runs.
    type Job: Job;

    /// The flags every job takes.
    fn common(&self) -> &CommonArgs;

    /// What the command line asks for, checked before anything is locked or opened. `today`
    /// is the IST date (for `--to` in the future and the like). `Err` is a usage error: it is
    /// printed as clap prints its own, and the binary exits 2.
    fn invocation(self, today: NaiveDate) -> Result<Invocation<Self::Job>, String>;
}

/// A command of a binary's own (`show`, `gaps`, `rules add`), run with the common flags.
pub type Command = Box<dyn FnOnce(&CommonArgs) -> anyhow::Result<()>>;

/// What a command line asks for.
pub enum Invocation<J> {
    /// A run of the job, through the harness, with these flags.
    Run(J, CommonArgs),
    /// A command of the binary's own: 0, or its error on stderr with its exit code.
    Command(Command, CommonArgs),
}

impl<J> Invocation<J> {
    /// A command of the binary's own.
    pub fn command(
        args: CommonArgs,
        command: impl FnOnce(&CommonArgs) -> anyhow::Result<()> + 'static,
    ) -> Self {
        Invocation::Command(Box::new(command), args)
    }
}

/// The definition of `C`'s command line as `--help` shows it: with the exit-status table.
fn command<C: Cli>() -> clap::Command {
    docs::with_exit_table(C::command(), &job_exits())
}

/// Runs the binary whose command line is `C`: parses it (exit 2 on a bad one), renders its
/// docs for `--generate-docs DIR`, checks the request, then runs the job or the command; with
/// `--check-args`, stops after the checks (0 for a run, 2 for anything else).
pub fn main<C: Cli>() -> ExitCode {
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    let definition = command::<C>();
    let matches = definition.clone().get_matches();
    let cli =
        C::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut definition.clone()).exit());
    let name = definition.get_name().to_string();
    if let Some(dir) = cli.common().generate_docs.clone() {
        return docs::install(C::command(), &job_exits(), &dir);
    }
    let cli_checks_only = cli.common().check_args;
    let today = calendar::today(market_now(Utc::now()));
    match cli.invocation(today) {
        Err(message) => definition
            .clone()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit(),
        Ok(Invocation::Run(..)) if cli_checks_only => ExitCode::SUCCESS,
        Ok(Invocation::Command(..)) if cli_checks_only => definition
            .clone()
            .error(
                clap::error::ErrorKind::InvalidSubcommand,
                "only a run of the job can be asked for on demand, not one of its commands",
            )
            .exit(),
        Ok(Invocation::Run(job, args)) => run_job(&args, job).into(),
        Ok(Invocation::Command(command, args)) => {
            command_exit(&name, command(&args).map(|()| Exit::Success))
        }
    }
}

/// The exit of a command that is not a run (`show`, `gaps`, `upstox-jobs status`): its exit
/// code, or its error on stderr and the error's exit code. Output cut short by its reader
/// (`| head`) ends quietly with 0, as `ls | head` does: the reader had what it wanted.
pub fn command_exit(bin: &str, result: anyhow::Result<Exit>) -> ExitCode {
    match result {
        Ok(exit) => exit.into(),
        Err(e) if is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let text = with_http_hint(format!("{e:#}"), &e);
            eprintln!("{bin}: error: {}", crate::redaction::redact(&text));
            exit_for(&e).into()
        }
    }
}
