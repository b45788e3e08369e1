fn main() -> std::process::ExitCode {
    common::harness::main::<db_backup::Cli>()
}
