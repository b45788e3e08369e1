//! How the API lives: systemd's socket (fd 3, `LISTEN_FDS=1`, `LISTEN_PID` its own pid)
//! served as is, also from a private network namespace (what `PrivateNetwork=yes` gives the
//! service); variables meant for another process refused; and the exit after the idle time.

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use testkit::Sandbox;
use testkit::api::{self, ApiServer, TOKEN};
use testkit::binary::binary;

/// `upstox-jobs api` (through `wrapper`, a command line ending in `sh -c`) with `listener`
/// as its fd 3 and the variables sd_listen_fds(3) reads; the shell's `exec` keeps its pid,
/// so `$$` is the server's.
fn activated(sandbox: &Sandbox, listener: &TcpListener, wrapper: &[&str]) -> Command {
    let script = "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"";
    let (program, before) = wrapper.split_first().expect("a program");
    let mut cmd = Command::new(program);
    cmd.args(before)
        .arg(script)
        .arg(binary("upstox-jobs"))
        .arg("--config")
        .arg(sandbox.path().join("config.toml"))
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .arg("api")
        .env_remove("CREDENTIALS_DIRECTORY");
    let fd = listener.as_raw_fd();
    // SAFETY: dup2 and fcntl are async-signal-safe; the child only puts the listener at fd 3
    // without close-on-exec (dup2 clears it on a copy; on fd 3 itself, fcntl does) before exec.
    unsafe {
        cmd.pre_exec(move || {
            let done = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if done == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

fn sandbox(api: &str) -> Sandbox {
    let sandbox = Sandbox::new("");
    sandbox.write_config(&api::config(sandbox.path(), api));
    sandbox
}

#[test]
fn the_socket_systemd_passes_as_fd_3_is_served() {
    let sandbox = sandbox("");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = ApiServer::spawn(activated(&sandbox, &listener, &["sh", "-c"]));
    assert_eq!(server.addr(), addr);
    assert!(
        server.log().contains("(socket from systemd)"),
        "{}",
        server.log()
    );
    let jobs = server.get("/v1/jobs", Some(TOKEN));
    assert_eq!(jobs.status, 200, "{}", jobs.body);
}

#[test]
fn an_inherited_socket_works_inside_a_private_network_namespace() {
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "true"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: no network namespace for an unprivileged user here: {probe:?}");
        return;
    }
    let sandbox = sandbox("");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = ApiServer::spawn(activated(
        &sandbox,
        &listener,
        &["unshare", "--user", "--map-root-user", "--net", "sh", "-c"],
    ));
    // The server has only its own loopback, yet answers on the host's.
    let jobs = server.get("/v1/jobs", Some(TOKEN));
    assert_eq!(jobs.status, 200, "{}", jobs.body);
}

#[test]
fn variables_meant_for_another_process_are_refused_as_usage() {
    let sandbox = sandbox("");
    let out = sandbox
        .command_without_data_dir("upstox-jobs", &[])
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .arg("api")
        .env("LISTEN_PID", "1")
        .env("LISTEN_FDS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("are not for this process"), "{stderr}");
    let out = sandbox
        .command_without_data_dir("upstox-jobs", &[])
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .arg("api")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("give --listen 127.0.0.1:8765"), "{stderr}");
}

#[test]
fn the_server_exits_after_its_idle_time_and_not_while_asked() {
    let sandbox = sandbox("idle_secs = 2.0\n");
    let mut server = ApiServer::start(&sandbox);
    // Requests a fifth of the idle time apart keep it up past the idle time.
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(server.get("/metrics", None).status, 200);
    }
    let status = server
        .exit_within(Duration::from_secs(60))
        .expect("it exits once idle");
    assert!(status.success(), "{status}");
    assert!(server.log().contains("idle: exiting"), "{}", server.log());
}
