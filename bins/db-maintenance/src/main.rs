fn main() -> std::process::ExitCode {
    common::harness::main::<db_maintenance::Cli>()
}
