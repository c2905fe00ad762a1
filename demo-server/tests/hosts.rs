//! `--hosts N` (demo-server/README.md): one server on 127.0.0.1 ..= 127.0.0.N,
//! same port, same state; URL lists spread over the hosts with `hosts=K`;
//! `/stats` counts image requests in flight by the address they came to.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};

use common::*;
use local_source::{Config, Running};
use serde_json::Value;

fn with_hosts(count: u32, hosts: u8) -> Config {
    let mut c = config(count, 1);
    c.hosts = hosts;
    c
}

/// The `127.0.0.k:PORT` of a listed URL.
fn host_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    rest[..rest.find('/').unwrap()].to_string()
}

fn loopback(k: u8, port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(127, 0, 0, k), port))
}

async fn lines(addr: SocketAddr, path: &str) -> Vec<String> {
    let r = get(addr, path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    r.text().lines().map(String::from).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_three_hosts_answers_on_each_with_one_state() {
    let s: Running = serve(with_hosts(5, 3)).await;
    let port = s.addr.port();
    assert_eq!(s.addr, loopback(1, port));
    assert_eq!(
        s.addrs,
        vec![loopback(1, port), loopback(2, port), loopback(3, port)]
    );
    get_json(s.addr, "/stats/reset").await;
    for addr in &s.addrs {
        let r = get_json(*addr, "/api/search").await;
        assert_eq!(r["total"], 5, "{addr}");
        // Without `hosts`, the URLs use the Host the request came to.
        let url = r["images"][0]["url"].as_str().unwrap();
        assert_eq!(host_of(url), addr.to_string());
        assert_eq!(get(*addr, &path_of(url)).await.status, 200, "{addr}");
    }
    // One library, one set of counters.
    let st = get_json(s.addrs[2], "/stats").await;
    assert_eq!(st["by_image"]["0"], 3, "{st}");
    assert_eq!(st["image_requests"], 3);
    assert_eq!(st["requests"], 6);
    // 127.0.0.4 is not listened on.
    assert!(tokio::net::TcpStream::connect(loopback(4, port))
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_lists_spread_over_the_hosts_evenly_and_deterministically() {
    let s = serve(with_hosts(30, 3)).await;
    let port = s.addr.port();
    let plain = lines(s.addr, "/api/urls.txt").await;
    let spread = lines(s.addr, "/api/urls.txt?hosts=3").await;
    assert_eq!(spread.len(), 30);
    let mut per_host: BTreeMap<String, usize> = BTreeMap::new();
    for (i, url) in spread.iter().enumerate() {
        let k = 1 + (i % 3) as u8;
        assert_eq!(host_of(url), loopback(k, port).to_string(), "line {i}");
        // The same images in the same order as the unspread list.
        assert_eq!(path_of(url), path_of(&plain[i]));
        *per_host.entry(host_of(url)).or_default() += 1;
    }
    assert_eq!(per_host.values().copied().collect::<Vec<_>>(), [10, 10, 10]);
    // The same list whichever address is asked, and every time.
    assert_eq!(lines(s.addrs[2], "/api/urls.txt?hosts=3").await, spread);
    assert_eq!(lines(s.addr, "/api/urls.txt?hosts=3").await, spread);
    // Every listed URL answers on its host.
    for url in spread.iter().take(6) {
        let addr: SocketAddr = host_of(url).parse().unwrap();
        assert_eq!(get(addr, &path_of(url)).await.status, 200, "{url}");
    }
    // hosts=1 puts everything on 127.0.0.1, whichever address was asked.
    let one = lines(s.addrs[1], "/api/urls.txt?hosts=1").await;
    assert!(one
        .iter()
        .all(|u| host_of(u) == loopback(1, port).to_string()));

    // Together with max, min_side, latency_ms and q: the i-th line of the
    // filtered list goes to 127.0.0.(1 + i mod K).
    let cat = get_json(s.addr, "/catalog.json").await;
    let mut sides: Vec<u64> = cat["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["width"]
                .as_u64()
                .unwrap()
                .max(i["height"].as_u64().unwrap())
        })
        .collect();
    sides.sort();
    let median = sides[sides.len() / 2];
    let filtered = lines(s.addr, &format!("/api/urls.txt?min_side={median}&max=7")).await;
    let both = lines(
        s.addr,
        &format!("/api/urls.txt?min_side={median}&max=7&hosts=2&latency_ms=5"),
    )
    .await;
    assert_eq!(both.len(), filtered.len());
    for (i, (url, plain)) in both.iter().zip(&filtered).enumerate() {
        assert_eq!(host_of(url), loopback(1 + (i % 2) as u8, port).to_string());
        assert_eq!(path_of(url), format!("{}?latency_ms=5", path_of(plain)));
    }
    let title = cat["images"][4]["title"]
        .as_str()
        .unwrap()
        .replace(' ', "%20");
    let queried = lines(s.addr, &format!("/api/urls.txt?q={title}&hosts=3")).await;
    assert!(!queried.is_empty());
    assert_eq!(host_of(&queried[0]), loopback(1, port).to_string());

    // The CSV and the catalog spread the same way.
    let csv = lines(s.addr, "/api/urls.csv?max=4&hosts=3").await;
    assert_eq!(csv[0], "url,caption");
    let csv_urls: Vec<&str> = csv[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(
        csv_urls,
        spread[..4].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let cat = get_json(s.addr, "/catalog.json?max=4&hosts=3").await;
    let items = cat["images"].as_array().unwrap();
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["url"].as_str().unwrap(), spread[i]);
        assert_eq!(
            host_of(item["source_page"].as_str().unwrap()),
            host_of(&spread[i])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_outside_the_flag_is_a_400_sentence() {
    let s = serve(with_hosts(3, 3)).await;
    for path in [
        "/api/urls.txt?hosts=4",
        "/api/urls.txt?hosts=0",
        "/api/urls.txt?hosts=two",
        "/api/urls.txt?hosts=300",
        "/api/urls.csv?hosts=4",
        "/catalog.json?hosts=4",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 400, "{path}");
        let text = r.text();
        assert!(
            text.contains("hosts") && text.contains("--hosts 3") && text.trim_end().ends_with('.'),
            "{path}: {text}"
        );
    }
    let single = serve(config(3, 1)).await;
    let r = get(single.addr, "/api/urls.txt?hosts=2").await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("--hosts"), "{}", r.text());
    assert_eq!(lines(single.addr, "/api/urls.txt?hosts=1").await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_requests_in_flight_are_counted_by_host() {
    let s = serve(with_hosts(6, 3)).await;
    let port = s.addr.port();
    let (h1, h2) = (loopback(1, port).to_string(), loopback(2, port).to_string());
    let reset = get_json(s.addr, "/stats/reset").await;
    assert_eq!(reset["max_image_in_flight_by_host"], serde_json::json!({}));
    assert_eq!(reset["image_in_flight_by_host"], serde_json::json!({}));
    let urls = lines(s.addr, "/api/urls.txt?hosts=3&latency_ms=600").await;
    // Two slow downloads from 127.0.0.1 and one from 127.0.0.2, at once.
    let held: Vec<_> = [&urls[0], &urls[3], &urls[1]]
        .into_iter()
        .map(|url| {
            let addr: SocketAddr = host_of(url).parse().unwrap();
            let path = path_of(url);
            tokio::spawn(async move { get(addr, &path).await.status })
        })
        .collect();
    let busy = wait_for_stats(s.addr, "three images in flight", |s| {
        s["image_in_flight"] == 3
    })
    .await;
    let now = &busy["image_in_flight_by_host"];
    assert_eq!(
        (&now[&h1], &now[&h2]),
        (&Value::from(2), &Value::from(1)),
        "{busy}"
    );
    assert_eq!(now.as_object().unwrap().len(), 2, "{busy}");
    for t in held {
        assert_eq!(t.await.unwrap(), 200);
    }
    let st = wait_for_stats(s.addr, "nothing in flight", |s| s["image_in_flight"] == 0).await;
    let max = &st["max_image_in_flight_by_host"];
    assert_eq!(
        (&max[&h1], &max[&h2]),
        (&Value::from(2), &Value::from(1)),
        "{st}"
    );
    assert_eq!(max.as_object().unwrap().len(), 2, "{st}");
    assert_eq!(st["max_image_in_flight"], 3);
    assert!(st["image_in_flight_by_host"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 0));
    // Non-image requests are not counted by host.
    get(s.addrs[2], "/api/search").await;
    let st = get_json(s.addr, "/stats").await;
    assert!(st["max_image_in_flight_by_host"]
        .get(loopback(3, port).to_string())
        .is_none());
    // Reset zeroes them like the others.
    let reset = get_json(s.addr, "/stats/reset").await;
    assert_eq!(reset["max_image_in_flight_by_host"], serde_json::json!({}));
    assert_eq!(reset["image_in_flight_by_host"], serde_json::json!({}));
    assert_eq!(reset["max_image_in_flight"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_servers_with_sixteen_hosts_start_on_free_ports() {
    let mut running = Vec::new();
    for _ in 0..6 {
        running.push(serve(with_hosts(1, 16)).await);
    }
    for s in &running {
        assert_eq!(s.addrs.len(), 16);
        assert_eq!(get(s.addrs[15], "/api/search").await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_address_is_named_in_the_error() {
    // Take 127.0.0.2:P, then ask for --port P --hosts 2.
    let mut named = None;
    for _ in 0..5 {
        let taken = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let mut c = with_hosts(1, 2);
        c.port = port;
        let err = match local_source::start(c).await {
            Ok(_) => panic!("127.0.0.2:{port} is taken, yet the server started"),
            Err(e) => e.to_string(),
        };
        // (127.0.0.1:P could be taken by chance: then try another port.)
        if !err.contains(&format!("127.0.0.1:{port}")) {
            named = Some((err, port));
            break;
        }
    }
    let (err, port) = named.expect("a free port on 127.0.0.1");
    assert!(err.contains(&format!("127.0.0.2:{port}")), "{err}");
}

/// A child process that is killed when the test ends.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_program_prints_its_first_line_as_before_and_names_the_others() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-source"))
        .args([
            "--port",
            "0",
            "--hosts",
            "3",
            "--count",
            "4",
            "--max-side",
            "100",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().unwrap();
    let _program = Program(child);
    let mut out = BufReader::new(stdout);
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    let addr: SocketAddr = first
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .parse()
        .unwrap();
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    let port = addr.port();
    assert_eq!(
        second.trim(),
        format!("also on http://127.0.0.2:{port} http://127.0.0.3:{port}")
    );
    let r = get_json(loopback(3, port), "/api/search").await;
    assert_eq!(r["total"], 4);
}

#[test]
fn the_program_rejects_a_bad_hosts_value_with_a_sentence() {
    for bad in ["0", "17", "many"] {
        let out = Command::new(env!("CARGO_BIN_EXE_local-source"))
            .args(["--hosts", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--hosts {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--hosts") && err.trim_end().ends_with('.'),
            "{err}"
        );
    }
}
