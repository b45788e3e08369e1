//! The `job_requests` table as the dispatcher works it: the queue in order, atomic claims,
//! the end of a run, deadlines, and the requests a dead dispatcher left `running`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::requests::{RequestId, RequestState};
use crate::runs::timestamp;

/// How many times a request is started at most: once, and once more when its dispatcher died
/// under it (every job is idempotent, so a second run changes nothing the first did).
pub const MAX_ATTEMPTS: u32 = 2;

/// The dispatcher that claims: its pid and the boot it runs in, recorded with each claim so a
/// person can tell which process held a request.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    /// Process id.
    pub pid: u32,
    /// The kernel's boot id, where the sandbox lets it be read.
    pub boot: Option<String>,
}

impl Dispatcher {
    /// This process.
    pub fn current() -> Dispatcher {
        Dispatcher {
            pid: std::process::id(),
            boot: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .ok()
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
        }
    }
}

/// A queued request, as the dispatcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// The request.
    pub id: RequestId,
    /// The job.
    pub job: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// The queued requests, best first: higher priority, then older.
pub fn queued(conn: &Connection) -> rusqlite::Result<Vec<Queued>> {
    let mut stmt = conn.prepare(
        "SELECT id, job, args FROM job_requests WHERE state = 'queued'
         ORDER BY priority DESC, id",
    )?;
    stmt.query_map([], |r| {
        let args: String = r.get(2)?;
        Ok(Queued {
            id: RequestId(r.get(0)?),
            job: r.get(1)?,
            // Written by `store::insert` as a JSON list; anything else runs with none.
            args: serde_json::from_str(&args).unwrap_or_default(),
        })
    })?
    .collect()
}

/// Marks `expired` the queued requests whose deadline is before `now`; returns them.
pub fn expire(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<RequestId>> {
    let mut stmt = conn.prepare(
        "UPDATE job_requests SET state = 'expired', finished_at = ?1,
             error = 'its deadline (' || deadline || ') passed before it could start; ask again with a later deadline'
         WHERE state = 'queued' AND deadline IS NOT NULL AND deadline < ?1
         RETURNING id",
    )?;
    stmt.query_map([timestamp(now)], |r| Ok(RequestId(r.get(0)?)))?
        .collect()
}

/// Claims queued request `id` for `who`: `true` when this dispatcher got it (it is `running`
/// now, one attempt more), `false` when it was no longer queued (cancelled, or another
/// dispatcher took it).
pub fn claim(
    conn: &mut Connection,
    id: RequestId,
    who: &Dispatcher,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let claimed = tx
        .query_row(
            "UPDATE job_requests SET state = 'running', started_at = ?2, claimed_at = ?2,
                 dispatcher_pid = ?3, dispatcher_boot = ?4, attempts = attempts + 1,
                 runner_pid = NULL
             WHERE id = ?1 AND state = 'queued'
             RETURNING id",
            params![id.0, timestamp(now), who.pid, who.boot],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    tx.commit()?;
    Ok(claimed)
}

/// Records the pid of the job process running request `id`.
pub fn set_runner(conn: &Connection, id: RequestId, pid: u32) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_requests SET runner_pid = ?2 WHERE id = ?1",
        params![id.0, pid],
    )
    .map(drop)
}

/// Whether a cancel was asked for while request `id` runs.
pub fn cancel_requested(conn: &Connection, id: RequestId) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT cancel_requested FROM job_requests WHERE id = ?1",
        [id.0],
        |r| r.get(0),
    )
    .optional()
    .map(|c| c.unwrap_or(false))
}

/// The newest `job_runs` id (0 when there is none): a run started later has a larger one.
pub fn last_run_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM job_runs", [], |r| {
        r.get(0)
    })
}

/// How the run of request `id` recorded after run `after` ended, as `job_runs` has it:
/// (status, exit code); `None` when the job wrote no row of it.
pub fn run_status(
    conn: &Connection,
    id: RequestId,
    after: i64,
) -> rusqlite::Result<Option<(String, Option<i64>)>> {
    conn.query_row(
        "SELECT status, exit_code FROM job_runs WHERE request_id = ?1 AND id > ?2
         ORDER BY id DESC LIMIT 1",
        [id.0, after],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Puts running request `id` back in the queue, its attempt not counted: its run found the
/// job's lock taken (by a timer's run that started in between) and did nothing.
pub fn unclaim(conn: &Connection, id: RequestId) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_requests SET state = 'queued', attempts = attempts - 1, started_at = NULL,
             runner_pid = NULL
         WHERE id = ?1 AND state = 'running'",
        [id.0],
    )
    .map(drop)
}

/// The end of a request, as the dispatcher records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// Its final state.
    pub state: RequestState,
    /// The job's exit code, when it exited.
    pub exit_code: Option<i64>,
    /// Why it did not succeed, when the dispatcher knows better than the run's row (a
    /// maximum run time, a lock never freed, a binary that could not start).
    pub error: Option<String>,
}

/// Records the end of request `id` (running, or queued when it never got its lock).
pub fn finish(
    conn: &Connection,
    id: RequestId,
    end: &Finish,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_requests SET state = ?2, finished_at = ?3, exit_code = ?4,
             error = COALESCE(?5, error)
         WHERE id = ?1 AND state IN ('queued', 'running')",
        params![
            id.0,
            end.state.as_str(),
            timestamp(now),
            end.exit_code,
            end.error.as_deref().map(crate::redaction::redact),
        ],
    )
    .map(drop)
}

/// A request found `running` with no dispatcher alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The request.
    pub id: RequestId,
    /// The dispatcher that had claimed it.
    pub dispatcher_pid: Option<i64>,
    /// Queued again (first attempt), or finished `interrupted` (second).
    pub requeued: bool,
}

/// Takes every request left `running`: call only with the dispatcher's lock held, when no
/// other dispatcher can be alive, so each such request lost its dispatcher (killed, crashed,
/// the machine rebooted). It is interrupted; queued again once (the run of an idempotent job
/// may simply be repeated), finished `interrupted` after its second attempt.
pub fn recover(conn: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<Recovered>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let orphans: Vec<(i64, u32, Option<i64>, Option<String>)> = {
        let mut stmt = tx.prepare(
            "SELECT id, attempts, dispatcher_pid, claimed_at FROM job_requests
             WHERE state = 'running' ORDER BY id",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut recovered = Vec::new();
    for (id, attempts, pid, claimed) in orphans {
        let died = format!(
            "attempt {attempts} interrupted: its dispatcher (pid {}, claimed {}) died before it ended",
            pid.map_or("?".to_string(), |p| p.to_string()),
            claimed.as_deref().unwrap_or("?")
        );
        let requeued = attempts < MAX_ATTEMPTS;
        if requeued {
            tx.execute(
                "UPDATE job_requests SET state = 'queued', runner_pid = NULL,
                     note = COALESCE(note || '; ', '') || ?2
                 WHERE id = ?1",
                params![id, format!("{died}; queued again")],
            )?;
        } else {
            tx.execute(
                "UPDATE job_requests SET state = 'interrupted', finished_at = ?2,
                     note = COALESCE(note || '; ', '') || ?3,
                     error = 'interrupted on each of its ' || attempts || ' attempts (its dispatcher died); ask again'
                 WHERE id = ?1",
                params![id, timestamp(now), died],
            )?;
        }
        recovered.push(Recovered {
            id: RequestId(id),
            dispatcher_pid: pid,
            requeued,
        });
    }
    tx.commit()?;
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::store::{self, Cancelled};
    use crate::requests::{Origin, RequestDoc};
    use std::time::Duration;

    fn conn() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(
            &dir.path().join("m.db"),
            Duration::from_secs(1),
            &[crate::runs::SCHEMA],
        )
        .unwrap();
        (dir, conn)
    }

    fn ask(conn: &Connection, job: &str, priority: i32) -> RequestId {
        let doc = RequestDoc {
            job: job.into(),
            args: vec!["--force".into()],
            requested_by: "alice".into(),
            priority,
            deadline: None,
        };
        store::insert(conn, &doc, Origin::Cli, Utc::now()).unwrap()
    }

    #[test]
    fn the_queue_is_by_priority_then_age_and_a_claim_is_taken_once() {
        let (_dir, mut conn) = conn();
        let low = ask(&conn, "db-backup", 0);
        let high = ask(&conn, "market-sync", 5);
        let later = ask(&conn, "alert-scan", 0);
        let order: Vec<RequestId> = queued(&conn).unwrap().iter().map(|q| q.id).collect();
        assert_eq!(order, [high, low, later]);
        let me = Dispatcher::current();
        assert!(claim(&mut conn, high, &me, Utc::now()).unwrap());
        assert!(
            !claim(&mut conn, high, &me, Utc::now()).unwrap(),
            "taken once"
        );
        let v = store::view(&conn, high).unwrap().unwrap();
        assert_eq!((v.state, v.attempts), (RequestState::Running, 1));
        assert_eq!(
            store::cancel(&mut conn, low, Utc::now()).unwrap(),
            Cancelled::Dequeued
        );
        assert!(
            !claim(&mut conn, low, &me, Utc::now()).unwrap(),
            "a cancelled one is not claimed"
        );
        assert_eq!(
            store::cancel(&mut conn, high, Utc::now()).unwrap(),
            Cancelled::Asked
        );
        assert!(cancel_requested(&conn, high).unwrap());
        let end = Finish {
            state: RequestState::Cancelled,
            exit_code: Some(143),
            error: Some("cancelled while running".into()),
        };
        finish(&conn, high, &end, Utc::now()).unwrap();
        assert_eq!(
            store::cancel(&mut conn, high, Utc::now()).unwrap(),
            Cancelled::TooLate
        );
        assert_eq!(
            store::cancel(&mut conn, RequestId(99), Utc::now()).unwrap(),
            Cancelled::Missing
        );
        let listed: Vec<RequestId> = store::queue(&conn, 10)
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(
            listed,
            [later, high, low],
            "waiting first, then the newest finished"
        );
    }

    #[test]
    fn an_orphan_is_requeued_once_then_interrupted_and_a_passed_deadline_expires() {
        let (_dir, mut conn) = conn();
        let id = ask(&conn, "db-backup", 0);
        let me = Dispatcher::current();
        for attempt in 1..=MAX_ATTEMPTS {
            assert!(claim(&mut conn, id, &me, Utc::now()).unwrap());
            let found = recover(&mut conn, Utc::now()).unwrap();
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].requeued, attempt < MAX_ATTEMPTS);
        }
        let v = store::view(&conn, id).unwrap().unwrap();
        assert_eq!((v.state, v.attempts), (RequestState::Interrupted, 2));
        assert!(v.note.unwrap().contains("attempt 1 interrupted"));
        let late = ask(&conn, "db-backup", 0);
        conn.execute(
            "UPDATE job_requests SET deadline = '2026-01-01T00:00:00.000Z' WHERE id = ?1",
            [late.0],
        )
        .unwrap();
        assert_eq!(expire(&conn, Utc::now()).unwrap(), [late]);
        let v = store::view(&conn, late).unwrap().unwrap();
        assert_eq!(v.state, RequestState::Expired);
        assert!(
            v.error
                .unwrap()
                .contains("deadline (2026-01-01T00:00:00.000Z) passed")
        );
        let purged = crate::requests::purge_finished(&conn, Utc::now() + chrono::Duration::days(1));
        assert_eq!(purged.unwrap(), 2);
    }
}
