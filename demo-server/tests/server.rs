//! Contract tests of `local-source` (see demo-server/README.md): each starts a
//! server in-process on a free port and talks plain HTTP to it.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use common::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn ids(images: &Value) -> Vec<u64> {
    images
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_serves_the_same_bytes_and_another_seed_differs() {
    let a = serve(config(10, 7)).await;
    let b = serve(config(10, 7)).await;
    let c = serve(config(10, 8)).await;
    let la = get_json(a.addr, "/api/search?per_page=10").await;
    let lb = get_json(b.addr, "/api/search?per_page=10").await;
    let lc = get_json(c.addr, "/api/search?per_page=10").await;
    let mut differs = false;
    for i in 0..10 {
        let (ia, ib, ic) = (&la["images"][i], &lb["images"][i], &lc["images"][i]);
        assert_eq!(ia["title"], ib["title"]);
        assert_eq!(ia["bytes"], ib["bytes"]);
        let fa = get(a.addr, &path_of(ia["url"].as_str().unwrap())).await;
        let fb = get(b.addr, &path_of(ib["url"].as_str().unwrap())).await;
        assert_eq!(fa.status, 200);
        assert_eq!(fa.body, fb.body, "image {i} differs between equal seeds");
        let fc = get(c.addr, &path_of(ic["url"].as_str().unwrap())).await;
        differs |= fa.body != fc.body;
    }
    assert!(differs, "seed 8 served the same files as seed 7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_through_all_matches_with_correct_totals() {
    let s = serve(config(120, 1)).await;
    let mut seen = Vec::new();
    for (page, expect) in [(1, 50), (2, 50), (3, 20), (4, 0)] {
        let r = get_json(s.addr, &format!("/api/search?page={page}")).await;
        assert_eq!(r["total"], 120);
        assert_eq!(r["page"], page);
        assert_eq!(r["per_page"], 50);
        assert_eq!(r["images"].as_array().unwrap().len(), expect, "page {page}");
        seen.extend(ids(&r["images"]));
    }
    assert_eq!(seen, (0..120).collect::<Vec<u64>>());
    let capped = get_json(s.addr, "/api/search?per_page=500").await;
    assert_eq!(capped["per_page"], 100);
    assert_eq!(capped["images"].as_array().unwrap().len(), 100);
    let small = get_json(s.addr, "/api/search?per_page=7&page=2").await;
    assert_eq!(ids(&small["images"]), (7..14).collect::<Vec<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_matches_every_query_word_as_a_prefix_of_title_or_tag_words() {
    let s = serve(config(300, 2)).await;
    let all = get_json(s.addr, "/api/search?per_page=100").await;
    let first = &all["images"][0];
    let title_word = first["title"].as_str().unwrap().split(' ').next().unwrap();
    let tag = first["tags"][0].as_str().unwrap();
    let q = format!("{} {}", &title_word[..3].to_uppercase(), &tag[..2]);
    let r = get_json(
        s.addr,
        &format!("/api/search?per_page=100&q={}", q.replace(' ', "+")),
    )
    .await;
    let total = r["total"].as_u64().unwrap();
    assert!((1..300).contains(&total), "{total}");
    let found = r["images"].as_array().unwrap();
    assert!(found.iter().any(|i| i["id"] == first["id"]));
    for item in found {
        let mut words: Vec<String> = item["title"]
            .as_str()
            .unwrap()
            .split(' ')
            .map(str::to_lowercase)
            .collect();
        words.extend(
            item["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_lowercase()),
        );
        for qw in q.to_lowercase().split(' ') {
            assert!(
                words.iter().any(|w| w.starts_with(qw)),
                "{item} does not match {q}"
            );
        }
    }
    let none = get_json(s.addr, "/api/search?q=zzzqqq").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["images"], serde_json::json!([]));
    let everything = get_json(s.addr, "/api/search?q=").await;
    assert_eq!(everything["total"], 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_format_decodes_to_the_stated_size_type_and_length() {
    let s = serve(config(200, 3)).await;
    let mut done = HashSet::new();
    for page in 1..=2 {
        let r = get_json(s.addr, &format!("/api/search?per_page=100&page={page}")).await;
        for item in r["images"].as_array().unwrap() {
            let mime = item["mime"].as_str().unwrap().to_string();
            if !done.insert(mime.clone()) {
                continue;
            }
            let url = item["url"].as_str().unwrap();
            let f = get(s.addr, &path_of(url)).await;
            assert_eq!(f.status, 200);
            assert_eq!(f.header("content-type"), Some(mime.as_str()));
            assert_eq!(
                f.body.len() as u64,
                item["bytes"].as_u64().unwrap(),
                "{url}"
            );
            assert_eq!(
                f.header("content-length"),
                Some(f.body.len().to_string().as_str())
            );
            let format = image::ImageFormat::from_mime_type(&mime).unwrap();
            let img = image::load_from_memory_with_format(&f.body, format)
                .unwrap_or_else(|e| panic!("{url} does not decode: {e}"));
            assert_eq!(img.width() as u64, item["width"].as_u64().unwrap());
            assert_eq!(img.height() as u64, item["height"].as_u64().unwrap());
            assert!(url.ends_with(format.extensions_str()[0]) || url.ends_with(".jpg"));
        }
    }
    let expected: HashSet<String> = ["image/jpeg", "image/png", "image/webp", "image/gif"]
        .map(String::from)
        .into();
    assert_eq!(done, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_extension_and_unknown_ids_get_404_sentences() {
    let s = serve(config(5, 1)).await;
    let item = &get_json(s.addr, "/api/search").await["images"][0];
    let url = path_of(item["url"].as_str().unwrap());
    let wrong = if url.ends_with(".png") {
        url.replace(".png", ".gif")
    } else {
        format!("{}.png", url.rsplit_once('.').unwrap().0)
    };
    let r = get(s.addr, &wrong).await;
    assert_eq!(r.status, 404);
    assert!(r.text().ends_with(".\n"), "{}", r.text());
    assert_eq!(get(s.addr, "/images/99.jpg").await.status, 404);
    assert_eq!(get(s.addr, "/images/abc").await.status, 404);
    assert_eq!(get(s.addr, "/nothing/here").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_and_url_lists_follow_the_query_and_max() {
    let s = serve(config(60, 4)).await;
    let cat = get_json(s.addr, "/catalog.json?max=3").await;
    assert_eq!(cat["name"], "Local demo catalog");
    assert_eq!(ids(&cat["images"]), vec![0, 1, 2]);
    assert!(cat["images"][0]["bytes"].as_u64().unwrap() > 0);
    let all = get_json(s.addr, "/catalog.json").await;
    assert_eq!(all["images"].as_array().unwrap().len(), 60);
    let title = all["images"][5]["title"].as_str().unwrap().to_string();
    let q = title.replace(' ', "%20");
    let matching = get_json(s.addr, &format!("/api/search?per_page=100&q={q}")).await;

    let txt = get(s.addr, &format!("/api/urls.txt?q={q}")).await;
    assert_eq!(txt.status, 200);
    let lines: Vec<&str> = txt.text().leak().lines().collect();
    assert_eq!(lines.len() as u64, matching["total"].as_u64().unwrap());
    assert!(lines.iter().all(|l| l.starts_with("http://127.0.0.1:")));

    // A list of the larger images only.
    let all_sides: Vec<u64> = all["images"]
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
    let median_side = {
        let mut v = all_sides.clone();
        v.sort();
        v[v.len() / 2]
    };
    let large = get(s.addr, &format!("/api/urls.txt?min_side={median_side}"))
        .await
        .text();
    let expected: Vec<String> = all["images"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&all_sides)
        .filter(|(_, side)| **side >= median_side)
        .map(|(i, _)| i["url"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty() && expected.len() < all_sides.len());
    assert_eq!(large.lines().collect::<Vec<_>>(), expected);

    // A slow list: the same URLs, each asking the image route to wait.
    let slow = get(s.addr, "/api/urls.txt?max=2&latency_ms=150")
        .await
        .text();
    let slow: Vec<&str> = slow.leak().lines().collect();
    assert_eq!(slow.len(), 2);
    assert!(
        slow.iter().all(|l| l.ends_with("?latency_ms=150")),
        "{slow:?}"
    );
    let path = &slow[0][slow[0].find("/images/").unwrap()..];
    let asked = std::time::Instant::now();
    assert_eq!(get(s.addr, path).await.status, 200);
    assert!(asked.elapsed() >= std::time::Duration::from_millis(150));

    let csv = get(s.addr, "/api/urls.csv?max=2").await;
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "url,caption");
    assert_eq!(rows.len(), 3);
    let first = &all["images"][0];
    assert_eq!(
        rows[1],
        format!(
            "{},\"{}\"",
            first["url"].as_str().unwrap(),
            first["title"].as_str().unwrap()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_use_the_host_the_request_came_to() {
    let s = serve(config(3, 1)).await;
    let host = format!("localhost:{}", s.addr.port());
    let r = request(s.addr, "GET", "/api/search", &[("Host", &host)]).await;
    let item = &r.json()["images"][0];
    assert!(item["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://{host}/images/")));
    assert!(item["source_page"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://{host}/pages/")));
}

const WIKI: &str = "/w/api.php?action=query&generator=search&gsrnamespace=6&prop=imageinfo&iiprop=url|size|mime|extmetadata&format=json&origin=*";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mediawiki_continue_pages_to_the_end_without_repeats() {
    let s = serve(config(400, 5)).await;
    let expected = get_json(s.addr, "/api/search?q=sea&per_page=1").await["total"]
        .as_u64()
        .unwrap();
    assert!(expected > 20, "too few matches to page: {expected}");
    let mut seen = HashSet::new();
    let mut offset = 0;
    let mut indexes = Vec::new();
    let mut requests = 0;
    loop {
        requests += 1;
        let r = get_json(
            s.addr,
            &format!("{WIKI}&gsrsearch=sea&gsrlimit=7&gsroffset={offset}&iiurlwidth=64"),
        )
        .await;
        assert_eq!(r["batchcomplete"], "");
        let pages = r["query"]["pages"].as_object().expect("query.pages");
        for (key, p) in pages {
            assert_eq!(key, &p["pageid"].to_string());
            assert_eq!(p["ns"], 6);
            assert!(p["title"].as_str().unwrap().starts_with("File:"));
            let info = &p["imageinfo"][0];
            assert!(info["size"].as_u64().unwrap() > 0);
            assert!(info["thumbwidth"].as_u64().unwrap() <= 64);
            assert!(info["extmetadata"]["LicenseUrl"]["value"]
                .as_str()
                .unwrap()
                .starts_with("https://creativecommons.org/"));
            assert!(seen.insert(p["pageid"].as_u64().unwrap()), "repeated {key}");
            indexes.push(p["index"].as_u64().unwrap());
        }
        match r.get("continue") {
            Some(c) => {
                assert_eq!(c["continue"], "gsroffset||");
                offset = c["gsroffset"].as_u64().unwrap();
            }
            None => break,
        }
        assert!(requests < 100);
    }
    assert_eq!(seen.len() as u64, expected);
    indexes.sort();
    assert_eq!(indexes, (1..=expected).collect::<Vec<_>>());
    // page ids are 1000000 + id, and the sizes are the real file sizes.
    let first = get_json(s.addr, &format!("{WIKI}&gsrsearch=sea&gsrlimit=1")).await;
    let (_, p) = first["query"]["pages"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let id = p["pageid"].as_u64().unwrap() - 1_000_000;
    let info = &p["imageinfo"][0];
    let file = get(s.addr, &path_of(info["url"].as_str().unwrap())).await;
    assert!(info["url"]
        .as_str()
        .unwrap()
        .contains(&format!("/images/{id}.")));
    assert_eq!(file.body.len() as u64, info["size"].as_u64().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mediawiki_without_matches_has_no_query_and_bad_action_is_an_error() {
    let s = serve(config(20, 1)).await;
    let none = get_json(s.addr, &format!("{WIKI}&gsrsearch=zzzqqq")).await;
    assert_eq!(none, serde_json::json!({"batchcomplete": ""}));
    let bad = get_json(s.addr, "/w/api.php?action=parse&format=json").await;
    assert_eq!(bad["error"]["code"], "badvalue");
    assert!(bad["error"]["info"].as_str().unwrap().contains("parse"));
    let limit = get_json(s.addr, &format!("{WIKI}&gsrsearch=&gsrlimit=500")).await;
    assert_eq!(limit["query"]["pages"].as_object().unwrap().len(), 20);
    let max = get_json(s.addr, &format!("{WIKI}&gsrsearch=&gsrlimit=max")).await;
    assert!(max.get("continue").is_none());
}

const OPENVERSE: &str = "/v1/images/";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openverse_refuses_anonymous_pages_past_twenty_with_401() {
    let s = serve(config(300, 6)).await;
    for q in ["?page_size=21", "?page=21", "?page=21&page_size=20"] {
        let r = get(s.addr, &format!("{OPENVERSE}{q}")).await;
        assert_eq!(r.status, 401, "{q}");
        assert!(r.json()["detail"].as_str().unwrap().ends_with('.'));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    }
    let first = get_json(s.addr, OPENVERSE).await;
    assert_eq!(first["result_count"], 300);
    assert_eq!(first["page_size"], 20);
    assert_eq!(first["page"], 1);
    assert_eq!(first["page_count"], 12, "capped at 240 results");
    assert_eq!(first["results"].as_array().unwrap().len(), 20);
    let r0 = &first["results"][0];
    assert_eq!(r0["id"], "00000000-0000-4000-8000-000000000000");
    assert!(r0["attribution"]
        .as_str()
        .unwrap()
        .contains(r0["title"].as_str().unwrap()));
    let last = get_json(s.addr, &format!("{OPENVERSE}?page=12")).await;
    assert_eq!(last["results"].as_array().unwrap().len(), 20);
    let past = get_json(s.addr, &format!("{OPENVERSE}?page=13")).await;
    assert_eq!(past["results"], serde_json::json!([]));
    let small = get_json(s.addr, &format!("{OPENVERSE}?page_size=7")).await;
    assert_eq!(small["page_count"], 34);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openverse_filters_by_extension_and_license() {
    let s = serve(config(200, 6)).await;
    let png = get_json(
        s.addr,
        &format!("{OPENVERSE}?extension=png&license_type=all&category=photograph"),
    )
    .await;
    assert!(png["result_count"].as_u64().unwrap() > 0);
    for r in png["results"].as_array().unwrap() {
        assert_eq!(r["filetype"], "png");
    }
    let lic = get_json(s.addr, &format!("{OPENVERSE}?license=cc0,by-sa")).await;
    for r in lic["results"].as_array().unwrap() {
        assert!(r["license"] == "cc0" || r["license"] == "by-sa", "{r}");
    }
    assert_eq!(
        get(s.addr, &format!("{OPENVERSE}?license=nope"))
            .await
            .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_faults_answer_as_asked() {
    let s = serve(config(5, 1)).await;
    let item = &get_json(s.addr, "/api/search").await["images"][0];
    let path = path_of(item["url"].as_str().unwrap());

    let r = get(s.addr, &format!("{path}?fault=429&retry_after=7")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("Retry-After"));

    let r = get(
        s.addr,
        &format!("{path}?fault=429&retry_after=30&retry_after_date=1"),
    )
    .await;
    assert_eq!(r.status, 429);
    let when = httpdate::parse_http_date(r.header("retry-after").unwrap()).unwrap();
    let ahead = when.duration_since(SystemTime::now()).unwrap_or_default();
    assert!(
        ahead > Duration::from_secs(20) && ahead <= Duration::from_secs(31),
        "{ahead:?}"
    );

    let r = get(s.addr, &format!("{path}?fault=500")).await;
    assert_eq!(r.status, 500);
    let r = get(s.addr, &format!("{path}?fault=503")).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
    assert_eq!(get(s.addr, &format!("{path}?fault=404")).await.status, 404);

    let r = get(s.addr, &format!("{path}?fault=wrong-type")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert!(r.text().to_lowercase().starts_with("<!doctype html"));
    assert!(image::load_from_memory(&r.body).is_err());

    let start = Instant::now();
    let r = get(s.addr, &format!("{path}?latency_ms=300")).await;
    assert_eq!(r.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));

    for bad in [
        "fault=418",
        "latency_ms=soon",
        "fault=429&retry_after=x",
        "fault=429&retry_after_date=maybe",
    ] {
        let r = get(s.addr, &format!("{path}?{bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.text().trim_end().ends_with('.'), "{}", r.text());
    }
}

/// Reads from a raw connection until `n` body bytes came after the head.
async fn read_head_and_body(stream: &mut TcpStream, n: usize) -> (u16, Headers, Vec<u8>) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        if let Some((status, headers, start)) = parse_head(&raw) {
            if raw.len() - start >= n {
                return (status, headers, raw[start..].to_vec());
            }
        }
        let got = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("data arrives")
            .expect("reads");
        assert!(got > 0, "the server closed the connection early");
        raw.extend_from_slice(&buf[..got]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_image_sends_half_the_body_then_nothing_until_the_client_leaves() {
    let mut c = config(3, 1);
    c.library.min_side = 600;
    c.library.max_side = 800;
    let s = serve(c).await;
    let item = &get_json(s.addr, "/api/search").await["images"][0];
    let total = item["bytes"].as_u64().unwrap() as usize;
    let path = path_of(item["url"].as_str().unwrap());
    get_json(s.addr, "/stats/reset").await;

    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "GET {path}?fault=stall HTTP/1.1\r\nHost: {}\r\n\r\n",
        s.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let (status, headers, body) = read_head_and_body(&mut stream, total / 2).await;
    assert_eq!(status, 200);
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap());
    assert_eq!(len, Some(total), "the full Content-Length is announced");
    assert_eq!(body.len(), total / 2);
    let mut buf = [0u8; 1024];
    let more = tokio::time::timeout(Duration::from_millis(1500), stream.read(&mut buf)).await;
    assert!(
        more.is_err(),
        "more data came after half the body: {more:?}"
    );

    let stats = get_json(s.addr, "/stats").await;
    assert_eq!(stats["image_in_flight"], 1);
    drop(stream);
    wait_for_stats(s.addr, "in-flight drops after the client left", |s| {
        s["in_flight"] == 0 && s["image_in_flight"] == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_rate_fails_only_the_first_request_of_chosen_images() {
    let make = || {
        let mut c = config(40, 11);
        c.fault_rate = 0.5;
        c.faults = vec![
            local_source::faults::FaultKind::TooManyRequests,
            local_source::faults::FaultKind::ServerError,
        ];
        c
    };
    let a = serve(make()).await;
    let b = serve(make()).await;
    let list = get_json(a.addr, "/api/search?per_page=40").await;
    let mut faulted = Vec::new();
    for item in list["images"].as_array().unwrap() {
        let path = path_of(item["url"].as_str().unwrap());
        let first = get(a.addr, &path).await;
        let again = get(a.addr, &path).await;
        assert_eq!(again.status, 200, "{path}: the second request must succeed");
        let other = get(b.addr, &path).await;
        assert_eq!(
            first.status, other.status,
            "{path}: the choice depends only on seed and id"
        );
        match first.status {
            200 => {}
            429 => {
                assert_eq!(first.header("retry-after"), Some("1"));
                faulted.push(path);
            }
            500 => faulted.push(path),
            s => panic!("{path}: unexpected status {s}"),
        }
    }
    assert!(
        (8..=32).contains(&faulted.len()),
        "{} faulted",
        faulted.len()
    );
    let stats = get_json(a.addr, "/stats").await;
    assert!(stats["by_image"]
        .as_object()
        .unwrap()
        .values()
        .all(|n| n == 2));
    // After a reset the server counts from scratch: the first request fails again.
    get_json(a.addr, "/stats/reset").await;
    assert_ne!(get(a.addr, &faulted[0]).await.status, 200);
    assert_eq!(get(a.addr, &faulted[0]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_requests_and_in_flight_drops_after_an_aborted_download() {
    let mut c = config(6, 1);
    c.library.min_side = 1500;
    c.library.max_side = 2000;
    let s = serve(c).await;
    let reset = get_json(s.addr, "/stats/reset").await;
    assert_eq!(reset["requests"], 0);
    let list = get_json(s.addr, "/api/search").await;
    let paths: Vec<String> = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| path_of(i["url"].as_str().unwrap()))
        .collect();
    get(s.addr, &paths[0]).await;
    get(s.addr, &paths[0]).await;
    get(s.addr, &paths[1]).await;
    let st = get_json(s.addr, "/stats").await;
    assert_eq!(st["requests"], 4, "stats requests are not counted: {st}");
    assert_eq!(st["image_requests"], 3);
    assert_eq!(st["by_image"]["0"], 2);
    assert_eq!(st["by_image"]["1"], 1);
    assert_eq!(st["in_flight"], 0);

    // Three slow downloads at once.
    let slow: Vec<_> = (2..5)
        .map(|i| {
            let p = format!("{}?latency_ms=400", paths[i]);
            let addr = s.addr;
            tokio::spawn(async move { get(addr, &p).await.status })
        })
        .collect();
    let busy = wait_for_stats(s.addr, "three images in flight", |s| {
        s["image_in_flight"] == 3
    })
    .await;
    assert!(busy["in_flight"].as_u64().unwrap() >= 3);
    for t in slow {
        assert_eq!(t.await.unwrap(), 200);
    }
    let st = get_json(s.addr, "/stats").await;
    assert!(st["max_image_in_flight"].as_u64().unwrap() >= 3);
    assert_eq!(st["image_in_flight"], 0);

    // A download dropped in the middle of the body.
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let req = format!("GET {} HTTP/1.1\r\nHost: {}\r\n\r\n", paths[5], s.addr);
    stream.write_all(req.as_bytes()).await.unwrap();
    let _ = read_head_and_body(&mut stream, 1).await;
    drop(stream);
    wait_for_stats(s.addr, "in-flight back to zero", |s| s["in_flight"] == 0).await;

    // And an abort while the server is still waiting to answer.
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "GET {}?latency_ms=5000 HTTP/1.1\r\nHost: {}\r\n\r\n",
        paths[5], s.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    wait_for_stats(s.addr, "the slow request is in flight", |s| {
        s["image_in_flight"] == 1
    })
    .await;
    drop(stream);
    wait_for_stats(s.addr, "in-flight back to zero after abort", |s| {
        s["image_in_flight"] == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_headers_are_on_every_answer_and_preflight_echoes_headers() {
    let s = serve(config(3, 1)).await;
    for path in [
        "/api/search",
        "/nothing",
        "/api/search?page=x",
        "/stats",
        "/images/0.zzz",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
        assert_eq!(
            r.header("access-control-expose-headers"),
            Some("Retry-After, Content-Length"),
            "{path}"
        );
    }
    let r = request(
        s.addr,
        "OPTIONS",
        "/images/0.jpg",
        &[
            ("Origin", "http://127.0.0.1:9999"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "x-trace, range"),
        ],
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-allow-methods"), Some("GET"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("x-trace, range")
    );
    assert!(r.header("access-control-max-age").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_flag_delays_every_answer() {
    let mut c = config(3, 1);
    c.latency_ms = 250;
    let s = serve(c).await;
    for path in ["/api/search", "/nothing"] {
        let start = Instant::now();
        get(s.addr, path).await;
        assert!(start.elapsed() >= Duration::from_millis(250), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_get_a_400_sentence() {
    let s = serve(config(3, 1)).await;
    for path in [
        "/api/search?page=0",
        "/api/search?page=two",
        "/api/search?per_page=0",
        "/api/search?per_page=-3",
        "/catalog.json?max=lots",
        "/api/urls.txt?max=-1",
        "/api/urls.txt?latency_ms=soon",
        "/api/urls.txt?min_side=big",
        "/v1/images/?page=0",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert!(
            r.text().trim_end().ends_with(['.', '}']),
            "{path}: {}",
            r.text()
        );
    }
    let wiki = get_json(
        s.addr,
        "/w/api.php?action=query&generator=search&gsrsearch=a&gsrlimit=x",
    )
    .await;
    assert_eq!(wiki["error"]["code"], "badinteger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn description_page_names_title_creator_and_license() {
    let s = serve(config(3, 1)).await;
    let item = &get_json(s.addr, "/api/search").await["images"][2];
    let page = get(s.addr, &path_of(item["source_page"].as_str().unwrap())).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = page.text();
    assert!(html.contains(item["title"].as_str().unwrap()));
    assert!(html.contains(item["license"].as_str().unwrap()));
    assert!(html.contains(item["license_url"].as_str().unwrap()));
    assert_eq!(get(s.addr, "/pages/77").await.status, 404);
}

/// Prints how long search answers take over large images (run with
/// `--ignored --nocapture`).
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn timing_of_search_over_large_images() {
    for (min, max) in [(64, 4000), (64, 800)] {
        let mut c = config(1000, 1);
        c.library.min_side = min;
        c.library.max_side = max;
        let s = serve(c).await;
        for page in 1..=2 {
            let start = Instant::now();
            let r = get_json(s.addr, &format!("/api/search?per_page=50&page={page}")).await;
            let total: u64 = r["images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["bytes"].as_u64().unwrap())
                .sum();
            println!(
                "long side {min}-{max}: search page {page} of 50 took {} ms ({} MB of files)",
                start.elapsed().as_millis(),
                total >> 20
            );
        }
        let start = Instant::now();
        get_json(s.addr, "/api/search?per_page=50&page=1").await;
        println!("  again (sizes known): {} ms", start.elapsed().as_millis());
    }
}
