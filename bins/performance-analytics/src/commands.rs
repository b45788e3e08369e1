//! `import-trades` and `report`: commands of their own, with the configuration and data
//! directory a run would use.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use common::Exit;
use common::calendar::TradingCalendar;
use common::config::{self, Config, ConfigError, ConfigPath};
use common::db::UPSTOX_DB;
use common::harness::{
    Access, CommonArgs, Fatal, Job, Validate, open_for_reading, resolve_data_dir,
};

use crate::analysis::Window;
use crate::chart;
use crate::config::JobConfig;
use crate::import;
use crate::job::PerformanceAnalytics;
use crate::ledger::Scope;
use crate::performance;
use crate::report::{self, Format};
use crate::trades;

/// The configuration, validated, the data directory and the busy timeout.
fn setup(
    args: &CommonArgs,
    access: Access,
) -> anyhow::Result<(Config<JobConfig>, PathBuf, Duration)> {
    let path = ConfigPath::from_flag(args.config.as_deref());
    let config: Config<JobConfig> = config::load(&path, PerformanceAnalytics::NAME)?;
    config.job.validate().map_err(|message| ConfigError {
        file: config.source(),
        message,
    })?;
    let dir = resolve_data_dir(args.data_dir.as_deref(), config.data_dir.as_deref(), access)?;
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs.max(0.0));
    Ok((config, dir, busy))
}

/// `import-trades FILE`: every row of `file` into `upstox.db`, or nothing (exit 65, each bad
/// row named). With `--dry-run`, says what would be added and writes nothing.
pub fn import_trades(args: &CommonArgs, file: &Path, strategy: &str) -> anyhow::Result<()> {
    let (format, rows) = import::read(file, strategy).map_err(|e| match e {
        import::Refused::Io { .. } => Fatal::new(Exit::IoErr, e.to_string()),
        _ => Fatal::new(Exit::DataErr, e.to_string()),
    })?;
    let (_, dir, busy) = setup(
        args,
        if args.dry_run {
            Access::Read
        } else {
            Access::Write
        },
    )?;
    let path = dir.join(UPSTOX_DB);
    let source = format!(
        "import:{}",
        file.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    );
    let added = if args.dry_run {
        let known = match trades::open_for_reading(&path, busy) {
            Ok(conn) => trades::count_known(&conn, &rows)?,
            Err(trades::Unreadable::Db(e)) => return Err(e.into()),
            Err(_) => 0,
        };
        rows.len() as u64 - known
    } else {
        let mut conn = trades::open_for_writing(&path, busy)?;
        let tx = conn.transaction()?;
        let added = trades::insert(&tx, &rows, &source)?;
        tx.commit()?;
        added
    };
    let verb = if args.dry_run { "would add" } else { "added" };
    println!(
        "{}: {} trades read ({format:?} format); {verb} {added} to {}, {} already there",
        file.display(),
        rows.len(),
        path.display(),
        rows.len() as u64 - added
    );
    Ok(())
}

/// What `report` asks for.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// From this date; `None`: the first trade's.
    pub from: Option<NaiveDate>,
    /// Up to this date.
    pub to: NaiveDate,
    /// Only this strategy.
    pub strategy: Option<String>,
    /// How to print.
    pub format: Format,
    /// Where to draw the chart.
    pub chart: Option<PathBuf>,
}

/// The calendar a run would use: the configured holiday file, else the built-in list.
fn calendar(config: &Config<JobConfig>) -> anyhow::Result<TradingCalendar> {
    let file = &config.calendar.holidays_file;
    Ok(if file.exists() {
        TradingCalendar::load(file).map_err(|e| Fatal::new(Exit::Config, e.to_string()))?
    } else {
        TradingCalendar::embedded()
    })
}

/// `report`: computed as a run computes it, printed, and charted when asked; writes nothing
/// but the chart.
pub fn report(args: &CommonArgs, request: &ReportRequest) -> anyhow::Result<()> {
    let (config, dir, busy) = setup(args, Access::Read)?;
    let path = dir.join(UPSTOX_DB);
    let conn = trades::open_for_reading(&path, busy).map_err(|e| match e {
        trades::Unreadable::Db(e) => anyhow::Error::from(e),
        missing => Fatal::new(Exit::Unavailable, missing.to_string()).into(),
    })?;
    let all = trades::load(&conn, &path, request.to)?;
    let chosen: Vec<_> = match &request.strategy {
        Some(s) => all.into_iter().filter(|t| t.strategy_name() == s).collect(),
        None => all,
    };
    if let Some(s) = &request.strategy
        && chosen.is_empty()
    {
        return Err(Fatal::new(
            Exit::Usage,
            format!(
                "no trade of strategy {s:?} up to {}: `report` lists the strategies",
                request.to
            ),
        )
        .into());
    }
    let market = open_for_reading::<PerformanceAnalytics>(args)?;
    let calendar = calendar(&config)?
        .with_table(&market)
        .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?;
    let window = Window {
        from: request.from,
        to: request.to,
    };
    let mut perf = performance::compute(&chosen, Some(&market), &calendar, &config.job, window)
        .map_err(crate::job::ledger_fatal)?;
    if let Some(s) = &request.strategy {
        // One strategy's trades: its ledger is the portfolio's, under its own name.
        perf.analyses
            .retain(|a| a.scope == Scope::Strategy(s.clone()));
    }
    let text = report::render(&perf, request.format, &config.job.benchmark);
    std::io::stdout().write_all(text.as_bytes())?;
    if let Some(file) = &request.chart {
        let Some(first) = perf.analyses.first() else {
            return Err(Fatal::new(
                Exit::DataErr,
                format!(
                    "{}: no trades to chart: widen --from and --to, or load trades with `upstox-performance-analytics import-trades FILE.csv`",
                    file.display()
                ),
            )
            .into());
        };
        chart::draw(file, first, &perf.benchmark, "NIFTY 50", &config.job.font)
            .map_err(|e| Fatal::new(Exit::CantCreate, e.to_string()))?;
        eprintln!("chart: {}", file.display());
    }
    Ok(())
}
