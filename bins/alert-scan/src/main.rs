use clap::Parser;

fn main() -> std::process::ExitCode {
    alert_scan::main(alert_scan::Cli::parse())
}
