//! Browser glue in a real browser (wasm-bindgen-test, headless Chromium):
//! the real worker binary, built by Trunk, fetching from the real local source.
//!
//! `scripts/test.sh` starts the app server and the local source and passes
//! their addresses as TEST_APP_URL and TEST_SOURCE_URL at build time.
#![cfg(target_arch = "wasm32")]

use collector::core::decode::DecodePath;
use collector::core::ledger::Settled;
use collector::core::protocol::{Checks, Chunk, FetchRules, FromWorker, JobItem, ToWorker};
use collector::web::worker_bridge::{PoolEvent, WorkerPool};
use futures::channel::mpsc::{unbounded, UnboundedReceiver};
use futures::StreamExt;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const APP: &str = env!("TEST_APP_URL");
const SOURCE: &str = env!("TEST_SOURCE_URL");
/// A source of a few large PNGs (2 600..2 800 px, 7..14 MB each).
const BIG_SOURCE: &str = env!("TEST_BIG_SOURCE_URL");

/// A pool running the Trunk-built worker from the app server. The test page
/// lives on another origin, so the worker starts from a blob that loads it.
fn pool() -> (WorkerPool, UnboundedReceiver<PoolEvent>) {
    let loader = format!(
        r#"importScripts("{APP}/worker.js"); wasm_bindgen({{ module_or_path: "{APP}/worker_bg.wasm" }});"#
    );
    let parts = js_sys::Array::of1(&loader.into());
    let blob = web_sys::Blob::new_with_str_sequence(&parts).unwrap();
    let url = web_sys::Url::create_object_url_with_blob(&blob).unwrap();
    let pool = WorkerPool::with_script(&url);
    pool.ensure(1).unwrap();
    let (tx, rx) = unbounded();
    pool.listen(tx);
    (pool, rx)
}

fn chunk(items: Vec<JobItem>, rules: FetchRules) -> ToWorker {
    ToWorker::Chunk(Chunk {
        collection: 1,
        chunk: 0,
        items,
        checks: Checks::default(),
        rules,
    })
}

fn item(id: u32, url: String) -> JobItem {
    JobItem {
        id,
        candidate: collector::core::candidate::Candidate {
            url: url.clone(),
            ..Default::default()
        },
        url,
    }
}

/// The next item report (with its thumbnail), skipping other messages.
async fn next_item(
    rx: &mut UnboundedReceiver<PoolEvent>,
) -> (
    collector::core::protocol::ItemReport,
    Option<web_sys::ImageBitmap>,
) {
    loop {
        match rx.next().await.expect("the pool is alive") {
            PoolEvent::Message {
                msg: FromWorker::Item(r),
                thumbnail,
                ..
            } => return (r, thumbnail),
            PoolEvent::Message { .. } => continue,
            PoolEvent::Crashed { reason, .. } => panic!("the worker crashed: {reason}"),
        }
    }
}

/// A thumbnail's RGBA pixels, drawn on a canvas of the test page.
fn rgba(bitmap: &web_sys::ImageBitmap) -> Vec<u8> {
    use wasm_bindgen::JsCast;
    let (w, h) = (bitmap.width(), bitmap.height());
    let canvas = web_sys::OffscreenCanvas::new(w, h).unwrap();
    let ctx: web_sys::OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0).unwrap();
    let data = ctx.get_image_data(0.0, 0.0, w as f64, h as f64).unwrap();
    let bytes = data.data().0;
    assert_eq!(bytes.len() as u32, w * h * 4);
    bytes
}

async fn first_image() -> serde_json::Value {
    let text = gloo_net::http::Request::get(&format!("{SOURCE}/api/search?per_page=3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    answer["images"][0].clone()
}

#[wasm_bindgen_test]
async fn a_real_worker_sends_back_a_transferred_thumbnail() {
    let image = first_image().await;
    let (pool, mut rx) = pool();
    pool.send(
        0,
        &chunk(
            vec![item(7, image["url"].as_str().unwrap().into())],
            FetchRules::default(),
        ),
    );
    let (report, thumbnail) = next_item(&mut rx).await;
    assert_eq!(report.id, 7);
    let Some(c) = report.collected.clone() else {
        panic!("not collected: {:?}", report.state)
    };
    assert_eq!(
        (c.width as u64, c.height as u64),
        (
            image["width"].as_u64().unwrap(),
            image["height"].as_u64().unwrap()
        )
    );
    assert_eq!(c.bytes, image["bytes"].as_u64().unwrap());
    assert!(c.thumb_width.max(c.thumb_height) <= 256);
    let bitmap = thumbnail.expect("the thumbnail comes beside the message");
    assert_eq!(
        (bitmap.width(), bitmap.height()),
        (c.thumb_width, c.thumb_height)
    );
    let bytes = rgba(&bitmap);
    assert!(
        bytes.chunks(4).any(|p| p != &bytes[0..4]),
        "real pixels, not one colour"
    );
    assert_eq!(c.sha256.len(), 64);
}

#[wasm_bindgen_test]
async fn a_page_sent_as_image_jpeg_is_refused_by_its_bytes() {
    let (pool, mut rx) = pool();
    pool.send(
        0,
        &chunk(
            vec![item(1, format!("{SOURCE}/images/1.jpg?fault=wrong-type"))],
            FetchRules::default(),
        ),
    );
    let (report, thumbnail) = next_item(&mut rx).await;
    assert_eq!(
        report.state,
        Settled::Failed("the server sent a web page, not an image".into())
    );
    assert!(thumbnail.is_none());
}

#[wasm_bindgen_test]
async fn a_stalled_body_is_aborted_at_the_deadline() {
    let (pool, mut rx) = pool();
    let rules = FetchRules {
        body_timeout_ms: 1_500,
        retries: 0,
        ..FetchRules::default()
    };
    pool.send(
        0,
        &chunk(
            vec![item(2, format!("{SOURCE}/images/2.jpg?fault=stall"))],
            rules,
        ),
    );
    let (report, _) = next_item(&mut rx).await;
    let Settled::Failed(reason) = report.state.clone() else {
        panic!("not failed: {:?}", report.state)
    };
    assert!(reason.contains("body"), "{reason}");
}

#[wasm_bindgen_test]
async fn a_lasting_429_is_retried_after_its_retry_after_then_fails_saying_so() {
    let (pool, mut rx) = pool();
    let rules = FetchRules {
        retries: 2,
        ..FetchRules::default()
    };
    let started = js_sys::Date::now();
    pool.send(
        0,
        &chunk(
            vec![item(
                3,
                format!("{SOURCE}/images/3.jpg?fault=429&retry_after=1"),
            )],
            rules,
        ),
    );
    let (report, _) = next_item(&mut rx).await;
    let waited = js_sys::Date::now() - started;
    assert_eq!(report.attempts, 3);
    let Settled::Failed(reason) = report.state.clone() else {
        panic!("not failed: {:?}", report.state)
    };
    assert!(reason.contains("429"), "{reason}");
    assert!(
        waited >= 2_000.0,
        "it waited as Retry-After said (1 s, twice): {waited} ms"
    );
}

#[wasm_bindgen_test]
async fn cancel_aborts_requests_in_flight() {
    let (pool, mut rx) = pool();
    let items = (0..4)
        .map(|i| item(10 + i, format!("{SOURCE}/images/{i}.jpg?latency_ms=10000")))
        .collect();
    pool.send(0, &chunk(items, FetchRules::default()));
    gloo_timers::future::TimeoutFuture::new(300).await;
    let started = js_sys::Date::now();
    pool.send(0, &ToWorker::Cancel { collection: 1 });
    for _ in 0..4 {
        let (report, _) = next_item(&mut rx).await;
        assert_eq!(report.state, Settled::Cancelled);
    }
    let took = js_sys::Date::now() - started;
    assert!(
        took < 2_000.0,
        "Cancel was answered at once, not after the 10 s latency: {took} ms"
    );
}

#[wasm_bindgen_test]
async fn a_collected_original_is_kept_and_its_thumbnail_made_again_from_storage() {
    let image = first_image().await;
    let (pool, mut rx) = pool();
    pool.send(
        0,
        &chunk(
            vec![item(8, image["url"].as_str().unwrap().into())],
            FetchRules::default(),
        ),
    );
    let (report, _) = next_item(&mut rx).await;
    let Some(c) = report.collected.clone() else {
        panic!("not collected: {:?}", report.state)
    };
    assert!(c.stored, "the original was kept in browser storage");
    let stored = collector::web::originals::get_original(&c.sha256)
        .await
        .unwrap()
        .expect("the page can read it back");
    assert_eq!(stored.length() as u64, c.bytes);

    pool.send(
        0,
        &ToWorker::Remake {
            key: 99,
            sha256: c.sha256.clone(),
            thumb_px: 128,
        },
    );
    loop {
        match rx.next().await.expect("the pool is alive") {
            PoolEvent::Message {
                msg: FromWorker::Remade { key, result, .. },
                thumbnail,
                ..
            } => {
                assert_eq!(key, 99);
                let (w, h) = result.expect("made again");
                assert!(w.max(h) <= 128 && w.max(h) > 0);
                let bitmap = thumbnail.expect("the thumbnail beside the message");
                assert_eq!((bitmap.width(), bitmap.height()), (w, h));
                break;
            }
            PoolEvent::Crashed { reason, .. } => panic!("the worker crashed: {reason}"),
            _ => continue,
        }
    }
    pool.send(
        0,
        &ToWorker::Remake {
            key: 100,
            sha256: "0".repeat(64),
            thumb_px: 128,
        },
    );
    loop {
        if let PoolEvent::Message {
            msg: FromWorker::Remade {
                key: 100, result, ..
            },
            ..
        } = rx.next().await.unwrap()
        {
            assert_eq!(
                result,
                Err("its original is no longer in browser storage".to_string())
            );
            break;
        }
    }
}

#[wasm_bindgen_test]
async fn a_paused_host_is_not_asked_until_its_pause_ends() {
    let image = first_image().await;
    let url = image["url"].as_str().unwrap().to_string();
    let host = collector::core::hosts::host_of(&url).unwrap();
    let (pool, mut rx) = pool();
    let started = js_sys::Date::now();
    pool.send(
        0,
        &ToWorker::PauseHost {
            host,
            for_ms: 1_500,
        },
    );
    pool.send(0, &chunk(vec![item(4, url)], FetchRules::default()));
    let (report, _) = next_item(&mut rx).await;
    assert!(report.state == Settled::Collected, "{:?}", report.state);
    let waited = js_sys::Date::now() - started;
    assert!(
        waited >= 1_500.0,
        "the download waited for the host's pause: {waited} ms"
    );
}

#[wasm_bindgen_test]
async fn every_decoder_makes_a_thumbnail_of_the_same_size_with_real_pixels() {
    let image = first_image().await;
    let mut sizes = Vec::new();
    // ImageDecoder, createImageBitmap, the scaled JPEG path, the image crate.
    for decoder in DecodePath::ALL {
        let (pool, mut rx) = pool();
        let checks = Checks {
            decoder,
            ..Checks::default()
        };
        let items = vec![item(20, image["url"].as_str().unwrap().into())];
        pool.send(
            0,
            &ToWorker::Chunk(Chunk {
                collection: 1,
                chunk: 0,
                items,
                checks,
                rules: FetchRules::default(),
            }),
        );
        let (report, thumbnail) = next_item(&mut rx).await;
        let Some(c) = report.collected.clone() else {
            panic!("not collected: {:?}", report.state)
        };
        assert_eq!(c.decoded_by, Some(decoder), "{:?}", report.stand_ins);
        let bytes = rgba(&thumbnail.expect("a thumbnail"));
        assert_eq!(bytes.len() as u32, c.thumb_width * c.thumb_height * 4);
        assert!(
            bytes.chunks(4).any(|p| p != &bytes[0..4]),
            "real pixels ({decoder:?})"
        );
        sizes.push((c.thumb_width, c.thumb_height));
    }
    assert!(sizes.windows(2).all(|w| w[0] == w[1]), "{sizes:?}");
}

/// The originals stay JS buffers from `fetch` to the browser's digest, its
/// decoder and Cache Storage: a worker collecting images larger than its
/// whole wasm memory keeps that memory smaller than any of them.
#[wasm_bindgen_test]
async fn originals_never_enter_the_workers_wasm_memory() {
    let list = gloo_net::http::Request::get(&format!("{BIG_SOURCE}/api/search?per_page=4"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let images = list["images"].as_array().unwrap();
    let smallest = images
        .iter()
        .map(|i| i["bytes"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        smallest > 6 << 20,
        "the test images are large: {smallest} bytes"
    );
    let (pool, mut rx) = pool();
    let items = images
        .iter()
        .enumerate()
        .map(|(i, image)| item(i as u32, image["url"].as_str().unwrap().into()))
        .collect();
    pool.send(0, &chunk(items, FetchRules::default()));
    for _ in 0..images.len() {
        let (report, _) = next_item(&mut rx).await;
        let Some(c) = report.collected.clone() else {
            panic!("not collected: {:?}", report.state)
        };
        assert_eq!(c.decoded_by, Some(DecodePath::ImageDecoder));
    }
    let wasm_bytes = loop {
        match rx.next().await.expect("the pool is alive") {
            PoolEvent::Message {
                msg: FromWorker::ChunkDone { wasm_bytes, .. },
                ..
            } => break wasm_bytes,
            PoolEvent::Crashed { reason, .. } => panic!("the worker crashed: {reason}"),
            _ => continue,
        }
    };
    assert!(
        wasm_bytes < smallest,
        "the worker's wasm memory ({wasm_bytes} bytes) is smaller than the smallest original ({smallest} bytes)"
    );
}

#[wasm_bindgen_test]
async fn a_worker_with_work_reports_how_busy_it_was() {
    let image = first_image().await;
    let (pool, mut rx) = pool();
    pool.send(
        0,
        &chunk(
            vec![item(12, image["url"].as_str().unwrap().into())],
            FetchRules::default(),
        ),
    );
    let mut busy = Vec::new();
    loop {
        match rx.next().await.expect("the pool is alive") {
            PoolEvent::Message {
                msg:
                    FromWorker::Busy {
                        busy_ms,
                        wasm_bytes,
                    },
                ..
            } => {
                assert!(wasm_bytes > 0, "the worker says its wasm memory");
                busy.push(busy_ms);
                if busy_ms == 0.0 {
                    break; // the idle second ends the reports
                }
            }
            PoolEvent::Crashed { reason, .. } => panic!("the worker crashed: {reason}"),
            _ => continue,
        }
    }
    assert!(
        busy[0] > 0.0 && busy.iter().all(|ms| (0.0..=1000.5).contains(ms)),
        "busy ms a second: {busy:?}"
    );
}
