//! Contract tests of the corpus routes (`/corpus/…`, see README.md): what
//! goes over the wire for the cases whose point is the wire itself.

mod common;

use std::time::Duration;

use common::*;
use local_source::corpus::Serve;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends a GET and reads the answer's head and what follows, until `limit`
/// bytes, the end, an error or `wait`.
async fn raw_get(
    addr: std::net::SocketAddr,
    path: &str,
    limit: usize,
    wait: Duration,
) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    let end = tokio::time::Instant::now() + wait;
    while raw.len() < limit {
        match tokio::time::timeout_at(end, s.read(&mut buf)).await {
            Err(_) | Ok(Ok(0)) => return (raw, None),
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (raw, Some(e.kind())),
        }
    }
    (raw, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_is_published_and_lists_every_image_case() {
    let s = serve(config(5, 1)).await;
    let expected = get_json(s.addr, "/corpus/expected.json").await;
    let cases = expected["cases"].as_array().unwrap();
    assert_eq!(cases.len(), local_source::corpus::CASES.len());
    let list = get(s.addr, "/corpus/urls.txt?good=3").await.text();
    let urls: Vec<&str> = list.lines().filter(|l| l.starts_with("http")).collect();
    let images = cases.iter().filter(|c| c["kind"] == "image").count();
    assert_eq!(urls.len(), images + 3);
    // The made files are served whole, with their type.
    for c in local_source::corpus::CASES {
        if let Serve::File(mime) = c.serve {
            let r = get(s.addr, c.route).await;
            assert_eq!(
                (r.status, r.header("content-type")),
                (200, Some(mime)),
                "{}",
                c.name
            );
            assert_eq!(r.body.is_empty(), c.name == "empty", "{}", c.name);
        }
    }
    assert_eq!(get(s.addr, &path_of(urls[images])).await.status, 200);
    let catalog = get_json(s.addr, "/corpus/catalog.json?good=3").await;
    assert_eq!(catalog["images"].as_array().unwrap().len(), images + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_cases_do_what_they_say() {
    let s = serve(config(5, 1)).await;
    // No CORS header on this one answer only.
    let r = get(s.addr, "/corpus/no-cors.jpg").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = get(s.addr, "/corpus/cmyk.jpg").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // 1 GB declared, and bytes really follow.
    let (raw, _) = raw_get(
        s.addr,
        "/corpus/huge-length.jpg",
        300_000,
        Duration::from_secs(5),
    )
    .await;
    let (status, headers, start) = parse_head(&raw).unwrap();
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(k, v)| k == "content-length" && v == "1073741824"));
    assert!(raw.len() - start > 100_000);
    // A reset, not a close, after part of the body.
    let (raw, error) = raw_get(
        s.addr,
        "/corpus/reset.jpg",
        usize::MAX,
        Duration::from_secs(5),
    )
    .await;
    let (_, _, start) = parse_head(&raw).unwrap();
    assert!(raw.len() > start, "part of the body came first");
    assert_eq!(error, Some(std::io::ErrorKind::ConnectionReset));
    // The endless body trickles on.
    let (raw, error) = raw_get(
        s.addr,
        "/corpus/endless.jpg",
        usize::MAX,
        Duration::from_millis(800),
    )
    .await;
    assert_eq!(error, None);
    assert!(raw.len() > 3 * 1024, "{} bytes in 0.8 s", raw.len());
    // A redirect that comes back.
    let r = get(s.addr, "/corpus/redirect-loop.jpg").await;
    assert_eq!(
        (r.status, r.header("location")),
        (302, Some("/corpus/redirect-loop.jpg?again"))
    );
    let r = get(s.addr, "/corpus/redirect-loop.jpg?again").await;
    assert_eq!(r.header("location"), Some("/corpus/redirect-loop.jpg"));
    // Retry-After in both forms.
    let r = get(s.addr, "/corpus/429-seconds.jpg").await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
    let r = get(s.addr, "/corpus/429-date.jpg").await;
    assert!(httpdate::parse_http_date(r.header("retry-after").unwrap()).is_ok());
    // Providers: cut-off JSON, and empty answers in each shape.
    let r = get(s.addr, "/corpus/provider/malformed/w/api.php?action=query").await;
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    let empty = get_json(s.addr, "/corpus/provider/empty/v1/images/?q=x").await;
    assert_eq!(empty["result_count"], 0);
    let empty = get_json(s.addr, "/corpus/provider/empty/catalog.json").await;
    assert_eq!(empty["images"].as_array().unwrap().len(), 0);
    // Every request was logged.
    let hits = get_json(s.addr, "/corpus/hits").await;
    assert_eq!(hits["redirect-loop"].as_array().unwrap().len(), 2);
    assert_eq!(hits["no-cors"].as_array().unwrap().len(), 1);
}
