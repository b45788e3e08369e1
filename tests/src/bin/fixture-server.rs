//! Serves a directory of fixture files on 127.0.0.1 until killed, for `make demo`.
//! Usage: fixture-server DIR [PORT]; prints the base URL on the first line of stdout.

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: fixture-server DIR [PORT]");
        std::process::exit(2);
    };
    let port = match args.next().map(|p| p.parse::<u16>()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("fixture-server: PORT: {e}");
            std::process::exit(2);
        }
    };
    let server = match testkit::FixtureServer::start(&dir, port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fixture-server: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(69);
        }
    };
    println!("{}", server.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
