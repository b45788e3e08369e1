//! The job: fetch each index's file, validate it whole, and write it in one transaction.

use std::path::PathBuf;

use common::Exit;
use common::calendar;
use common::files::saved_answer;
use common::harness::{Context, Fatal, Job, Outcome, UnitError, Validate};
use common::http::{HttpError, StatusCode};
use serde::Deserialize;

use crate::constituents::{self, Constituent, ConstituentFile};
use crate::index::{DEFAULT_INDICES, IndexName};
use crate::membership::{self, Changes};
use crate::store;

/// `[jobs.nse-index-update]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// The indices a run updates.
    pub indices: Vec<String>,
    /// Where NSE publishes the files; `<base_url>/<file name>` is fetched.
    pub base_url: String,
}

impl JobConfig {
    /// The configured indices, each once, or what is wrong with the list.
    pub fn index_names(&self) -> Result<Vec<IndexName>, String> {
        if self.indices.is_empty() {
            return Err(
                "[jobs.nse-index-update] indices is empty; name at least one index, or remove the key for the default nine"
                    .to_string(),
            );
        }
        let mut out = Vec::new();
        for name in &self.indices {
            let index = IndexName::parse_known(name)
                .map_err(|e| format!("[jobs.nse-index-update] indices: {e}"))?;
            if !out.contains(&index) {
                out.push(index);
            }
        }
        Ok(out)
    }
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        self.index_names().map(|_| ())
    }
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            indices: DEFAULT_INDICES.iter().map(|s| s.to_string()).collect(),
            base_url: "https://nsearchives.nseindia.com/content/indices".to_string(),
        }
    }
}

/// Which indices, from where.
#[derive(Debug, Clone)]
pub enum Selection {
    /// `[jobs.nse-index-update] indices`.
    Configured,
    /// `--index` given.
    Named(Vec<IndexName>),
    /// `--index NAME --from-file PATH`.
    File(IndexName, PathBuf),
}

/// The nse-index-update job.
pub struct NseIndexUpdate {
    /// What to update.
    pub selection: Selection,
    /// `--as-of`: the date the files describe, when not today.
    pub as_of: Option<chrono::NaiveDate>,
}

#[derive(Default)]
struct Totals {
    joined: usize,
    left: usize,
    renamed: usize,
    reissued: usize,
    updated: usize,
}

impl Totals {
    /// "4 joined, 4 left, 1 renamed", and re-issues and detail updates when there are any.
    fn describe(&self) -> String {
        let mut text = format!(
            "{} joined, {} left, {} renamed",
            self.joined, self.left, self.renamed
        );
        if self.reissued > 0 {
            text.push_str(&format!(", {} re-issued", self.reissued));
        }
        if self.updated > 0 {
            text.push_str(&format!(", {} with new details", self.updated));
        }
        text
    }
}

impl Job for NseIndexUpdate {
    const NAME: &'static str = "nse-index-update";
    const UNIT_NOUNS: (&'static str, &'static str) = ("index", "indices");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[store::SCHEMA];

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let indices =
            match &self.selection {
                Selection::Configured => ctx.config.job.index_names().map_err(|e| {
                    Fatal::new(Exit::Config, format!("{}: {e}", ctx.config.source()))
                })?,
                Selection::Named(names) => names.clone(),
                Selection::File(name, _) => vec![name.clone()],
            };
        let today = self.as_of.unwrap_or_else(|| calendar::today(ctx.now));
        ctx.plan(indices.iter().map(IndexName::as_str));
        let mut totals = Totals::default();
        for index in &indices {
            if ctx.stop_requested() {
                break;
            }
            let file = match self.fetch(ctx, index) {
                Ok(file) => file,
                Err(Failed::Unit(e)) => {
                    ctx.unit_failed(index.as_str(), e);
                    continue;
                }
                Err(Failed::Halted(e)) => {
                    ctx.halted(Some(index.as_str()), &e);
                    break;
                }
            };
            if !file.placeholders.is_empty() {
                tracing::info!(
                    index = index.as_str(),
                    "{index}: not stored: {} (NSE's placeholders for demerged businesses until they list)",
                    file.placeholders.join(", ")
                );
            }
            match write(ctx, index, &file.rows, today, &indices) {
                Ok(changes) => {
                    totals.joined += changes.joined.len();
                    totals.left += changes.left.len();
                    totals.renamed += changes.renamed.len();
                    totals.reissued += changes.reissued.len();
                    totals.updated += changes.updated.len();
                }
                Err(e) => ctx.unit_failed(index.as_str(), e),
            }
        }
        Ok(Outcome::Done(totals.describe()))
    }
}

/// Why an index was not fetched.
enum Failed {
    /// This index failed; the others go on.
    Unit(UnitError),
    /// NSE stopped answering or rate-limited the run, or its deadline came: no more indices.
    Halted(HttpError),
}

impl From<UnitError> for Failed {
    fn from(e: UnitError) -> Self {
        Failed::Unit(e)
    }
}

impl NseIndexUpdate {
    fn fetch(
        &self,
        ctx: &Context<JobConfig>,
        index: &IndexName,
    ) -> Result<ConstituentFile, Failed> {
        let (bytes, origin) = match &self.selection {
            Selection::File(_, path) => {
                let bytes = saved_answer(
                    path,
                    ctx.config.http.max_body_mib,
                    "not an index file; give --from-file the CSV NSE serves",
                )?;
                (bytes, path.display().to_string())
            }
            _ => {
                let url = format!(
                    "{}/{}",
                    ctx.config.job.base_url.trim_end_matches('/'),
                    index.file_name()
                );
                let fetched = ctx
                    .http
                    .get(
                        &url,
                        &[
                            ("Accept", "text/csv,*/*;q=0.8"),
                            ("Referer", "https://www.nseindia.com/"),
                        ],
                    )
                    .map_err(|e| match e.halt() {
                        Some(_) => Failed::Halted(e),
                        None => Failed::Unit(download_error(index, &e)),
                    })?;
                tracing::debug!(
                    index = index.as_str(),
                    attempts = fetched.attempts,
                    "{index}: {} bytes from {url}",
                    fetched.body.len()
                );
                (fetched.body, url)
            }
        };
        let file = constituents::parse(&bytes, index.expected_rows()).map_err(|e| UnitError {
            exit: Exit::DataErr,
            message: format!(
                "{origin}: {e}; the previous membership is kept; the next run retries, or import a good copy with --index {index} --from-file FILE"
            ),
        })?;
        Ok(file)
    }
}

fn write(
    ctx: &mut Context<JobConfig>,
    index: &IndexName,
    rows: &[Constituent],
    today: chrono::NaiveDate,
    precedence: &[IndexName],
) -> Result<Changes, UnitError> {
    let path = ctx.db_path();
    let io = |e: rusqlite::Error| {
        let mut unit = UnitError::database(&path, e);
        unit.message.push_str("; nothing of this index was written");
        unit
    };
    if ctx.dry_run {
        let current = match &ctx.db {
            Some(conn) => store::current_members(conn, index).map_err(io)?,
            None => Vec::new(),
        };
        let changes = membership::diff(&current, rows);
        println!(
            "{index}: {} constituents; {}",
            rows.len(),
            changes.describe(&membership::WOULD)
        );
        ctx.unit_done(index.as_str(), 0);
        return Ok(changes);
    }
    let conn = ctx.db_mut().map_err(|e| UnitError {
        exit: Exit::IoErr,
        message: e.to_string(),
    })?;
    // A spell cannot end before it began: a file older than a stored change would leave one.
    if let Some(last) = store::last_change(conn, index).map_err(io)?
        && last > today
    {
        return Err(UnitError {
            exit: Exit::Usage,
            message: format!(
                "{index} has changes stored up to {last}, after --as-of {today}: load archived files oldest first; nothing of this index was written"
            ),
        });
    }
    let applied = store::update_index(conn, index, rows, today, precedence).map_err(io)?;
    let changes = applied.changes;
    tracing::info!(
        index = index.as_str(),
        rows = rows.len(),
        joined = changes.joined.len(),
        left = changes.left.len(),
        "{index}: {} constituents; {}{}",
        rows.len(),
        changes.describe(&membership::DONE),
        if applied.sector_rows > 0 {
            format!("; {} sector rows changed", applied.sector_rows)
        } else {
            String::new()
        }
    );
    ctx.unit_done(
        index.as_str(),
        (changes.row_count() + applied.sector_rows) as u64,
    );
    Ok(changes)
}

/// The download error, with what to do about it.
fn download_error(index: &IndexName, e: &HttpError) -> UnitError {
    let hint = match e.status() {
        Some(StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) => format!(
            "NSE refused this host (it blocks some data-centre addresses); try later, or download {} in a browser and import it with --index {index} --from-file FILE",
            index.file_name()
        ),
        Some(StatusCode::NOT_FOUND) => {
            "no file at that address; check [jobs.nse-index-update] base_url, or whether NSE renamed the file".to_string()
        }
        Some(StatusCode::TOO_MANY_REQUESTS) => "NSE is rate-limiting; the next run retries".to_string(),
        _ => e.hint().unwrap_or("the next run retries").to_string(),
    };
    UnitError::http(e, &format!("{hint}; the previous membership is kept"))
}
