fn main() -> std::process::ExitCode {
    common::harness::main::<alert_scan::Cli>()
}
