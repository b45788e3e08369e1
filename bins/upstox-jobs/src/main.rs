fn main() -> std::process::ExitCode {
    upstox_jobs::main()
}
