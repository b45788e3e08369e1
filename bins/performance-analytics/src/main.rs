fn main() -> std::process::ExitCode {
    common::harness::main::<performance_analytics::Cli>()
}
