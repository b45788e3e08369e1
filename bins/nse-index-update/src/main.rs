fn main() -> std::process::ExitCode {
    common::harness::main::<nse_index_update::Cli>()
}
