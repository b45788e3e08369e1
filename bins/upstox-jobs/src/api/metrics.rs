//! `GET /metrics`: the jobs' Prometheus metrics as one exposition. Each job's file in the
//! textfile collector directory is what the job itself wrote (with the ages of its newest
//! data); a job without one (metrics off, or never run since) is rendered from `job_runs` as
//! its run would have. The files each declare the same families, which one exposition may
//! declare only once, so they are merged family by family.

use std::io::Read;

use chrono::Utc;
use common::config::MetricsTarget;
use common::schedule::CATALOGUE;

use super::Api;
use super::http::Response;

/// The largest metrics file read: a job's is a few kilobytes.
const FILE_MAX: u64 = 1024 * 1024;

/// The answer to `GET /metrics`.
pub fn answer(api: &Api) -> anyhow::Result<Response> {
    let conn = api.read()?;
    let dir = match &api.metrics {
        MetricsTarget::Off => None,
        MetricsTarget::Configured(d) | MetricsTarget::Collector(d) => Some(d),
    };
    let mut texts = Vec::new();
    for job in &CATALOGUE {
        let written = dir.and_then(|d| read_file(&common::metrics::file_of(d, job.name)));
        let text = match (written, &conn) {
            (Some(text), _) => text,
            (None, Some(c)) => {
                common::metrics::render(&common::metrics::collect(c, job.name)?, &[], Utc::now())
            }
            (None, None) => String::new(),
        };
        texts.push(text);
    }
    Ok(Response::new(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        merge(&texts),
    ))
}

/// A job's file, if it can be read (a missing or unreadable one is rendered instead).
fn read_file(path: &std::path::Path) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(FILE_MAX)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// One family: its HELP and TYPE lines and its samples.
struct Family<'t> {
    name: &'t str,
    help: Option<&'t str>,
    kind: Option<&'t str>,
    samples: Vec<&'t str>,
}

/// The texts as one exposition: each family once, its HELP and TYPE first, then every
/// sample of every text in order, a series repeated in a later text left out.
fn merge(texts: &[String]) -> String {
    let mut families: Vec<Family<'_>> = Vec::new();
    for line in texts.iter().flat_map(|t| t.lines()) {
        let (name, role) = if let Some(rest) = line.strip_prefix("# HELP ") {
            (rest.split(' ').next().unwrap_or(""), 0)
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            (rest.split(' ').next().unwrap_or(""), 1)
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else {
            (line.split(['{', ' ']).next().unwrap_or(""), 2)
        };
        let at = match families.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                families.push(Family {
                    name,
                    help: None,
                    kind: None,
                    samples: Vec::new(),
                });
                families.len() - 1
            }
        };
        let family = &mut families[at];
        match role {
            0 => family.help = family.help.or(Some(line)),
            1 => family.kind = family.kind.or(Some(line)),
            _ => {
                let series = line.rsplit_once(' ').map_or(line, |(s, _)| s);
                let seen = family
                    .samples
                    .iter()
                    .any(|s| s.rsplit_once(' ').map_or(*s, |(s, _)| s) == series);
                if !seen {
                    family.samples.push(line);
                }
            }
        }
    }
    let mut out = String::new();
    for f in families {
        for line in f.help.iter().chain(f.kind.iter()).chain(f.samples.iter()) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_is_declared_once_with_every_jobs_samples() {
        let a = "# HELP up_x X.\n# TYPE up_x gauge\nup_x{job=\"a\"} 1\n# HELP up_y Y.\n# TYPE up_y gauge\nup_y{job=\"a\"} 2\n";
        let b = "# HELP up_x X.\n# TYPE up_x gauge\nup_x{job=\"b\"} 3\nup_x{job=\"a\"} 9\n";
        assert_eq!(
            merge(&[a.to_string(), b.to_string()]),
            "# HELP up_x X.\n# TYPE up_x gauge\nup_x{job=\"a\"} 1\nup_x{job=\"b\"} 3\n\
             # HELP up_y Y.\n# TYPE up_y gauge\nup_y{job=\"a\"} 2\n"
        );
    }
}
