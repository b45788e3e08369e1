use clap::Parser;

fn main() -> std::process::ExitCode {
    upstox_jobs::main(upstox_jobs::Cli::parse())
}
