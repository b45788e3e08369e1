fn main() -> std::process::ExitCode {
    common::harness::main::<news_sentiment::Cli>()
}
