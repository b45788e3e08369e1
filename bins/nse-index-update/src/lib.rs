//! upstox-nse-index-update: NSE index constituents, membership history and sectors.
//!
//! - [`cli`]: the command line
//! - [`index`]: index names, NSE's file for each, plausible sizes
//! - [`security`]: `Symbol`, `Isin` (check digit verified), `Series`
//! - [`constituents`]: the constituent CSV, parsed and validated whole
//! - [`membership`]: who joins, leaves, is renamed or re-issued
//! - [`store`]: the tables, one transaction per index
//! - [`job`]: the run, through the common harness
//! - [`show`]: the stored membership, for people

pub mod cli;
pub mod constituents;
pub mod index;
pub mod job;
pub mod membership;
pub mod security;
pub mod show;
pub mod store;

use std::process::ExitCode;

use clap::CommandFactory;

pub use cli::{Cli, Command};
use index::IndexName;
use job::{NseIndexUpdate, Selection};

/// Runs the command line `cli`.
pub fn main(cli: Cli) -> ExitCode {
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    if let Some(Command::Show { index, history }) = &cli.command {
        return common::harness::command_exit(
            "upstox-nse-index-update",
            show::run(&cli.common, index.as_deref(), *history),
        );
    }
    let selection = match selection(&cli) {
        Ok(s) => s,
        Err(message) => Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .exit(),
    };
    common::harness::main(&cli.common, NseIndexUpdate { selection })
}

fn selection(cli: &Cli) -> Result<Selection, String> {
    match &cli.from_file {
        Some(path) => match cli.indices.as_slice() {
            [one] => Ok(Selection::File(
                IndexName::parse_any(one).map_err(|e| e.to_string())?,
                path.clone(),
            )),
            _ => Err("--from-file imports one index: give exactly one --index NAME".to_string()),
        },
        None if cli.indices.is_empty() => Ok(Selection::Configured),
        None => cli
            .indices
            .iter()
            .map(|n| IndexName::parse_known(n).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()
            .map(Selection::Named),
    }
}
