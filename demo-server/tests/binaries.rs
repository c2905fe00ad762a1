//! Tests of the two programs as programs: `local-source --port 0` and
//! `serve-app --port 0` print the port they picked and answer on it, and
//! `serve-app` sends the headers the page needs.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use common::*;

/// A child process that is killed when the test ends.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a program and reads `listening on http://127.0.0.1:PORT`.
fn launch(exe: &str, args: &[&str]) -> (Program, SocketAddr) {
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().unwrap();
    let program = Program(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    (program, addr)
}

#[tokio::test]
async fn local_source_prints_the_port_it_picked_and_serves_on_it() {
    let (_p, addr) = launch(
        env!("CARGO_BIN_EXE_local-source"),
        &["--port", "0", "--count", "4", "--max-side", "100"],
    );
    assert!(addr.ip().is_loopback());
    let r = get_json(addr, "/api/search").await;
    assert_eq!(r["total"], 4);
}

#[test]
fn local_source_rejects_bad_flags_with_a_sentence() {
    let out = Command::new(env!("CARGO_BIN_EXE_local-source"))
        .args(["--fault-rate", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--fault-rate") && err.trim_end().ends_with('.'),
        "{err}"
    );
}

fn site() -> tempdir::Dir {
    let dir = tempdir::Dir::new("serve-app");
    std::fs::write(
        dir.path.join("index.html"),
        "<!doctype html><title>page</title>",
    )
    .unwrap();
    std::fs::write(dir.path.join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path.join("app.js"), "export {};").unwrap();
    dir
}

/// A throwaway folder under the system temp dir, removed on drop.
mod tempdir {
    use std::path::PathBuf;

    pub struct Dir {
        pub path: PathBuf,
    }

    impl Dir {
        pub fn new(name: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "local-source-test-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir { path }
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn assert_isolation_headers(r: &Reply, what: &str) {
    assert_eq!(
        r.header("cross-origin-opener-policy"),
        Some("same-origin"),
        "{what}"
    );
    assert_eq!(
        r.header("cross-origin-embedder-policy"),
        Some("credentialless"),
        "{what}"
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"), "{what}");
}

#[tokio::test]
async fn serve_app_sends_isolation_headers_wasm_type_and_index() {
    let dir = site();
    let (_p, addr) = launch(
        env!("CARGO_BIN_EXE_serve-app"),
        &["--dir", dir.path.to_str().unwrap(), "--port", "0"],
    );
    let index = get(addr, "/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("<title>page</title>"));
    assert!(index
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_isolation_headers(&index, "/");
    let wasm = get(addr, "/app_bg.wasm").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_isolation_headers(&wasm, "wasm");
    let js = get(addr, "/app.js").await;
    assert!(js.header("content-type").unwrap().contains("javascript"));
    assert_eq!(get(addr, "/missing.txt").await.status, 404);
}

#[tokio::test]
async fn serve_app_serves_the_folder_under_a_base_path() {
    let dir = site();
    let (_p, addr) = launch(
        env!("CARGO_BIN_EXE_serve-app"),
        &[
            "--dir",
            dir.path.to_str().unwrap(),
            "--port",
            "0",
            "--base",
            "/sub/app/",
        ],
    );
    let index = get(addr, "/sub/app/").await;
    assert_eq!(index.status, 200);
    assert!(index.text().contains("<title>page</title>"));
    assert_isolation_headers(&index, "base index");
    assert_eq!(
        get(addr, "/sub/app/app_bg.wasm")
            .await
            .header("content-type"),
        Some("application/wasm")
    );
    let bare = get(addr, "/sub/app").await;
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/sub/app/"));
    assert_eq!(get(addr, "/app.js").await.status, 404);
}
