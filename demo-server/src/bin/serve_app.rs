//! `serve-app`: serves a built page folder (e.g. `dist/`) as static files on
//! 127.0.0.1 with the headers the page needs for cross-origin isolation
//! (`Cross-Origin-Opener-Policy: same-origin`,
//! `Cross-Origin-Embedder-Policy: credentialless`), `Cache-Control: no-cache`,
//! `.wasm` as `application/wasm`, and `index.html` for directories. With
//! `--base /sub/path/` the folder appears under that path instead of `/`;
//! with `--plain` it sends none of the cross-origin headers, as a plain
//! static host (GitHub Pages) does, so tests see what such a host gives.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::services::ServeDir;

const USAGE: &str = "\
serve-app: serves a folder of static files on 127.0.0.1 for the page.

Flags:
  --dir DIR      the folder to serve (default dist)
  --port N       port on 127.0.0.1 (default 8080; 0 picks a free one)
  --base PATH    URL path the folder appears under (default /)
  --plain        no COOP/COEP/CORS/CORP headers, like a plain static host
  --help         this text
";

struct Site {
    dir: ServeDir,
    /// Starts and ends with `/`.
    base: String,
    plain: bool,
}

struct Args {
    dir: PathBuf,
    port: u16,
    base: String,
    plain: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut a = Args {
        dir: PathBuf::from("dist"),
        port: 8080,
        base: "/".into(),
        plain: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            return Ok(None);
        }
        if arg == "--plain" {
            a.plain = true;
            continue;
        }
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), v.to_string()),
            _ => {
                let v = args
                    .next()
                    .ok_or_else(|| format!("The flag {arg} needs a value (see --help)."))?;
                (arg, v)
            }
        };
        match flag.as_str() {
            "--dir" => a.dir = PathBuf::from(value),
            "--port" => {
                a.port = value.parse().map_err(|_| {
                    format!(
                        "The value of --port must be a whole number up to 65535, not \"{value}\"."
                    )
                })?
            }
            "--base" => {
                let trimmed = value.trim_matches('/');
                a.base = if trimmed.is_empty() {
                    "/".into()
                } else {
                    format!("/{trimmed}/")
                };
            }
            _ => return Err(format!("The flag {flag} is unknown (see --help).")),
        }
    }
    if !a.dir.is_dir() {
        return Err(format!("The folder {} does not exist.", a.dir.display()));
    }
    Ok(Some(a))
}

fn text(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn serve(State(site): State<Arc<Site>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let mut res = if site.base.len() > 1 && path == site.base[..site.base.len() - 1] {
        // `/sub/path` → `/sub/path/`, so relative links resolve inside it.
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
        if let Ok(v) = HeaderValue::from_str(&format!("{}{query}", site.base)) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        res
    } else if let Some(rest) = path.strip_prefix(site.base.as_str()) {
        let (mut parts, body) = req.into_parts();
        match format!("/{rest}{query}").parse::<Uri>() {
            Ok(uri) => {
                parts.uri = uri;
                let mut dir = site.dir.clone();
                match dir.try_call(Request::from_parts(parts, body)).await {
                    Ok(res) => res.map(Body::new),
                    Err(e) => text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("Reading {path} failed: {e}.\n"),
                    ),
                }
            }
            Err(_) => text(
                StatusCode::BAD_REQUEST,
                format!("The path {path} is not valid.\n"),
            ),
        }
    } else {
        text(
            StatusCode::NOT_FOUND,
            format!(
                "There is nothing at {path}; the page is under {}.\n",
                site.base
            ),
        )
    };
    let wasm = path.ends_with(".wasm") && res.status().is_success();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if wasm {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/wasm"),
        );
    }
    if site.plain {
        return res;
    }
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-embedder-policy",
        HeaderValue::from_static("credentialless"),
    );
    // The app's files are public: another origin (the wasm test runner) may
    // load the worker from here.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    res
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("serve-app: {e}");
            return ExitCode::from(2);
        }
    };
    let site = Arc::new(Site {
        dir: ServeDir::new(&args.dir).append_index_html_on_directories(true),
        base: args.base,
        plain: args.plain,
    });
    let router = Router::new().fallback(serve).with_state(site);
    let listener =
        match tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
            .await
        {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "serve-app: could not listen on 127.0.0.1:{}: {e}.",
                    args.port
                );
                return ExitCode::FAILURE;
            }
        };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("serve-app: could not read the bound address: {e}.");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{addr}");
    let _ = std::io::stdout().flush();
    match axum::serve(listener, router).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve-app: the server stopped: {e}.");
            ExitCode::FAILURE
        }
    }
}
