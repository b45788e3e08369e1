//! The life of a run, the same for every binary: a job declares its name, configuration,
//! tables, schedule gate and work ([`Job`]) and its command line ([`Cli`]); the harness does
//! the rest.
//!
//! - [`args`]: the flags every job takes
//! - [`job`]: the [`Job`] trait, what a run returns, and the errors that end a unit or a run
//! - [`cli`]: a binary's entry point, the request checked before anything is locked
//! - [`run`]: the life of a run (configuration, lock, migrations, gate, `job_runs`, summary)
//! - [`context`]: what a running job has at hand
//! - [`summary`]: the end of a run as `job_runs` records it and the last line says it
//! - [`errors`]: one mapping from what went wrong to the exit code and the words
//! - [`data_dir`]: where the databases are
//! - [`open`]: the database for a command that is not a run
//! - [`clock`]: the market time a run works for
//! - [`ping`]: the dead-man's switch
//! - [`docs`]: the man page, completions and exit table of `--help`

pub mod args;
pub mod cli;
pub mod clock;
pub mod context;
pub mod data_dir;
pub mod docs;
mod errors;
pub mod job;
mod open;
mod ping;
mod run;
mod summary;

pub use args::CommonArgs;
pub use cli::{Cli, Invocation, command_exit, main};
pub use clock::market_now;
pub use context::Context;
pub use data_dir::{Access, resolve_data_dir};
pub use errors::exit_for;
pub use job::{Fatal, Job, Outcome, SharedLock, UnitError, Validate};
pub use open::{open_for_editing, open_for_reading};
