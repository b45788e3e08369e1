//! The database for a command that is not a run (`show`, `gaps`, `rules add`): the
//! configuration and data directory resolved as a run of the job would resolve them.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::Connection;

use crate::config::{self, Config, ConfigPath};
use crate::db;
use crate::harness::{Access, CommonArgs, Job, resolve_data_dir};

/// Opens `market_data.db` for a command that shows what `J` stored, at `J`'s latest schemas
/// and without writing the file: a file older than the binary is read through a migrated copy
/// ([`db::open_as_migrated`]), and before any job made the file, what is shown is an empty
/// database's nothing.
pub fn open_for_reading<J: Job>(args: &CommonArgs) -> anyhow::Result<Connection> {
    let (db, busy, all) = database_for::<J>(args, Access::Read)?;
    match db::open_as_migrated(&db, busy, &all)? {
        Some(conn) => Ok(conn),
        None => Ok(db::open_empty(&db, &all)?),
    }
}

/// Opens `market_data.db` read-write, migrated to `J`'s schemas, for a command that edits
/// what `J` keeps (`rules add`).
pub fn open_for_editing<J: Job>(args: &CommonArgs) -> anyhow::Result<Connection> {
    let (db, busy, all) = database_for::<J>(args, Access::Write)?;
    Ok(db::open(&db, busy, &all)?)
}

/// The database a command of `J` uses, its busy timeout, and the schemas it needs.
fn database_for<J: Job>(
    args: &CommonArgs,
    access: Access,
) -> anyhow::Result<(PathBuf, Duration, Vec<db::Schema>)> {
    let path = ConfigPath::from_flag(args.config.as_deref());
    let config: Config<J::Config> = config::load(&path, J::NAME)?;
    let dir = resolve_data_dir(args.data_dir.as_deref(), config.data_dir.as_deref(), access)?;
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs);
    Ok((dir.join(db::MARKET_DATA_DB), busy, schemas::<J>()))
}

/// Common's schemas, then `J`'s, in the order they are migrated.
pub(crate) fn schemas<J: Job>() -> Vec<db::Schema> {
    let mut all = crate::schemas::COMMON.to_vec();
    all.extend_from_slice(J::SCHEMAS);
    all
}
