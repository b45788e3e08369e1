//! The suite's report: every cell (job × fault → outcome), printed as one table with a legend
//! for the cells that do not apply, and the list of cells that broke a documented promise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// What one cell came to.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The promise held; the text is what was seen (`exit 69, 0.4 s`).
    Kept(String),
    /// The promise broke: what was seen, and why it is a break.
    Broken(String, String),
    /// The fault does not apply to the job; the reason goes in the legend.
    NotApplicable(&'static str),
}

impl Verdict {
    /// Kept if `why` is empty, broken otherwise.
    pub fn judge(seen: String, why: Vec<String>) -> Verdict {
        if why.is_empty() {
            Verdict::Kept(seen)
        } else {
            Verdict::Broken(seen, why.join("; "))
        }
    }
}

/// One cell of the table.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The job.
    pub job: &'static str,
    /// The fault's column heading.
    pub fault: String,
    /// The outcome.
    pub verdict: Verdict,
}

/// `exit 69, 0.4 s`: how a run ended, for a cell's text.
pub fn seen(code: Option<i32>, took: Duration) -> String {
    let code = code.map_or("killed".to_string(), |c| format!("exit {c}"));
    format!("{code}, {:.1} s", took.as_secs_f64())
}

/// The table: a row per fault, a column per job, then the legend of the `n/a` cells and the
/// broken cells in full.
pub fn render(cells: &[Cell]) -> String {
    let mut jobs: Vec<&str> = Vec::new();
    let mut faults: Vec<&str> = Vec::new();
    for c in cells {
        if !jobs.contains(&c.job) {
            jobs.push(c.job);
        }
        if !faults.contains(&c.fault.as_str()) {
            faults.push(&c.fault);
        }
    }
    let mut legend: BTreeMap<&'static str, usize> = BTreeMap::new();
    let text = |c: &Cell, legend: &mut BTreeMap<&'static str, usize>| match &c.verdict {
        Verdict::Kept(s) => format!("{s}, ok"),
        Verdict::Broken(s, _) => format!("{s}, BROKEN"),
        Verdict::NotApplicable(why) => {
            let n = legend.len() + 1;
            format!("n/a [{}]", legend.entry(*why).or_insert(n))
        }
    };
    let mut grid: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for c in cells {
        grid.insert((c.fault.as_str(), c.job), text(c, &mut legend));
    }
    let width = |j: &str| {
        grid.iter()
            .filter(|((_, job), _)| *job == j)
            .map(|(_, t)| t.len())
            .chain([j.len()])
            .max()
            .unwrap_or(0)
    };
    let first = faults.iter().map(|f| f.len()).max().unwrap_or(5).max(5);
    let mut out = format!("{:first$}", "fault");
    for j in &jobs {
        let _ = write!(out, " | {:w$}", j, w = width(j));
    }
    out.push('\n');
    for f in &faults {
        let _ = write!(out, "{f:first$}");
        for j in &jobs {
            let t = grid.get(&(*f, *j)).map_or("", String::as_str);
            let _ = write!(out, " | {t:w$}", w = width(j));
        }
        out.push('\n');
    }
    let mut by_number: Vec<(usize, &str)> = legend.into_iter().map(|(w, n)| (n, w)).collect();
    by_number.sort();
    for (n, why) in by_number {
        let _ = writeln!(out, "[{n}] {why}");
    }
    for line in broken(cells) {
        let _ = writeln!(out, "BROKEN {line}");
    }
    out
}

/// Every broken cell: `job × fault: seen: why`.
pub fn broken(cells: &[Cell]) -> Vec<String> {
    cells
        .iter()
        .filter_map(|c| match &c.verdict {
            Verdict::Broken(seen, why) => Some(format!("{} × {}: {seen}: {why}", c.job, c.fault)),
            _ => None,
        })
        .collect()
}
