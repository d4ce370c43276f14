use clap::Parser;

use tt_exchange::cli::{Cli, run};
use tt_exchange::config::Settings;
use tt_exchange::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let result = run(cli, settings).await;
    // The log lines still in memory go out before the process ends (and before the error).
    telemetry::flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
