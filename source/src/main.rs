//! `local-source`: reads the flags, binds 127.0.0.1, prints
//! `listening on http://127.0.0.1:PORT` (so tests can use `--port 0`) and
//! serves the library until it is stopped.

use std::io::Write;
use std::process::ExitCode;

use local_source::{config, start, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{}", config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("local-source: {e}");
            return ExitCode::from(2);
        }
    };
    let port = config.port;
    let running = match start(config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("local-source: could not listen on 127.0.0.1:{port}: {e}.");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", running.url());
    let _ = std::io::stdout().flush();
    match running.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-source: the server stopped: {e}.");
            ExitCode::FAILURE
        }
    }
}
