//! `local-source`: reads the flags, binds 127.0.0.1 (with `--hosts N`,
//! 127.0.0.1 … 127.0.0.N on the same port), prints
//! `listening on http://127.0.0.1:PORT` (so tests can use `--port 0`; with
//! `--hosts`, a second line names the other addresses) and serves the
//! library until it is stopped.

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
    let running = match start(config).await {
        Ok(r) => r,
        Err(e) => {
            // The error names the address that could not be bound.
            eprintln!("local-source: {e}.");
            return ExitCode::FAILURE;
        }
    };
    // One write, so a reader that stops after the first line cannot make
    // the second fail half-way; a closed stdout is not the server's failure.
    let mut text = format!("listening on {}\n", running.url());
    if let [_, others @ ..] = running.addrs.as_slice() {
        if !others.is_empty() {
            let list: Vec<String> = others.iter().map(|a| format!("http://{a}")).collect();
            text.push_str(&format!("also on {}\n", list.join(" ")));
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    drop(out);
    match running.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-source: the server stopped: {e}.");
            ExitCode::FAILURE
        }
    }
}
