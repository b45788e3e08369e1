use clap::Parser;

fn main() -> std::process::ExitCode {
    market_sync::main(market_sync::Cli::parse())
}
