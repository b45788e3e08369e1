use clap::Parser;

fn main() -> std::process::ExitCode {
    nse_index_update::main(nse_index_update::Cli::parse())
}
