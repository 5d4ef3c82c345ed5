//! `simple-cli`: presence and messaging from the command line. See `simple-cli --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = simple_server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(simple_server::cli::run(cli));
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}
