fn main() -> std::process::ExitCode {
    common::harness::main::<market_sync::Cli>()
}
