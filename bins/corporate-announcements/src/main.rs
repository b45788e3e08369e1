fn main() -> std::process::ExitCode {
    common::harness::main::<corporate_announcements::Cli>()
}
