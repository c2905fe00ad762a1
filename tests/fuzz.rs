//! Fuzzing, within the stable toolchain: proptest strategies fed to the
//! code that reads untrusted bytes, each for a wall-clock budget
//! (`FUZZ_SECONDS`, default 60), by `make fuzz`. Targets:
//! - provider response parsing (every source's `read`, any status, any
//!   Retry-After, bodies random or mutated from real answers);
//! - the sniff and limits path on raw bytes (random, and real image files
//!   truncated and bit-flipped);
//! - the URL list and CSV parser.
//!
//! A target passes when nothing panics: every input ends in a value or a
//! sentence. A crash found here becomes a regression test beside the code.
//! The tests are `#[ignore]`d so `cargo test` stays fast; `make fuzz` runs them.
#![cfg(not(target_arch = "wasm32"))]

use std::time::{Duration, Instant};

use collector::core::image_check::{check, sniff};
use collector::core::protocol::Checks;
use collector::core::source::{self, url_list, SourceChoice, Step};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn budget() -> Duration {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

/// Runs `target` on values of `strategy` until the budget is spent; a
/// panic fails with the (shrunk) input.
fn fuzz<S: Strategy>(name: &str, strategy: S, target: impl Fn(&S::Value))
where
    S::Value: std::fmt::Debug,
{
    let end = Instant::now() + budget();
    let mut cases = 0u64;
    while Instant::now() < end {
        let mut runner = TestRunner::new(Config {
            cases: 2_000,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, |v| {
            target(&v);
            Ok(())
        }) {
            panic!("{name}: {e}");
        }
        cases += 2_000;
    }
    eprintln!("{name}: {cases} inputs, no crash");
}

/// Small real image files in every format the app takes, made here.
fn real_images() -> Vec<Vec<u8>> {
    let picture = image::RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 15) as u8, 90])
    });
    let picture = image::DynamicImage::ImageRgb8(picture);
    [
        image::ImageFormat::Png,
        image::ImageFormat::Jpeg,
        image::ImageFormat::Gif,
        image::ImageFormat::WebP,
    ]
    .into_iter()
    .filter_map(|format| {
        let mut out = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut out, format).ok()?;
        Some(out.into_inner())
    })
    .collect()
}

/// Real bytes cut short and with some bits flipped.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len().max(1);
    (0..=len, prop::collection::vec((0..len, any::<u8>()), 0..8)).prop_map(move |(cut, flips)| {
        let mut bytes = seed.clone();
        for (at, bits) in flips {
            if let Some(b) = bytes.get_mut(at) {
                *b ^= bits;
            }
        }
        bytes.truncate(cut);
        bytes
    })
}

fn choices() -> Vec<SourceChoice> {
    let base = "http://127.0.0.1:9/".to_string();
    vec![
        SourceChoice::Local {
            api: base.clone(),
            query: "lake".into(),
        },
        SourceChoice::Commons {
            api: format!("{base}w/api.php"),
            query: "lake".into(),
            thumb_px: 256,
        },
        SourceChoice::Openverse {
            api: base.clone(),
            query: "lake".into(),
            filters: Default::default(),
        },
        SourceChoice::UrlListAt {
            url: format!("{base}list.txt"),
        },
        SourceChoice::Catalog {
            url: format!("{base}catalog.json"),
        },
    ]
}

#[test]
#[ignore = "fuzzing: run by `make fuzz`"]
fn provider_responses_never_panic() {
    let answers: Vec<Vec<u8>> =
        std::fs::read_dir(format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR")))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .map(|e| std::fs::read(e.path()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
    let body = prop_oneof![
        any::<String>().prop_map(String::into_bytes),
        "[\\[\\]{}\":,0-9a-z .-]{0,300}".prop_map(String::into_bytes),
        prop::sample::select(answers).prop_flat_map(mutated),
    ];
    let status = prop_oneof![Just(200u16), Just(429), Just(503), Just(404), 100u16..600];
    let retry_after = prop::option::of(prop_oneof![
        "[0-9]{1,12}",
        any::<String>(),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_string())
    ]);
    let which = 0..choices().len();
    fuzz(
        "provider responses",
        (which, status, retry_after, body, 1usize..500),
        |(which, status, retry_after, body, wanted)| {
            let mut s = source::open(choices()[*which].clone());
            if let Step::Fetch(_) = s.next(*wanted) {
                let text = String::from_utf8_lossy(body);
                let _ = s.read(*status, retry_after.as_deref(), &text);
                let _ = s.next(*wanted);
            }
        },
    );
}

#[test]
#[ignore = "fuzzing: run by `make fuzz`"]
fn sniff_and_limits_never_panic() {
    let images = real_images();
    let mut strategies = vec![prop::collection::vec(any::<u8>(), 0..4096).boxed()];
    assert!(images.len() >= 3, "real images to mutate were made");
    if !images.is_empty() {
        strategies.push(prop::sample::select(images).prop_flat_map(mutated).boxed());
    }
    let checks =
        (0u32..5_000, 0u64..100_000_000, any::<bool>()).prop_map(|(side, pixels, small)| Checks {
            max_side: side,
            max_pixels: pixels,
            max_bytes: if small { 1_000 } else { 40 << 20 },
            ..Checks::default()
        });
    fuzz(
        "sniff and limits",
        (prop::strategy::Union::new(strategies), checks),
        |(bytes, checks)| {
            let _ = sniff(bytes);
            if let Ok(header) = check(bytes, checks) {
                assert!(
                    header.width > 0 && header.height > 0,
                    "a checked image has a size"
                );
            }
        },
    );
}

#[test]
#[ignore = "fuzzing: run by `make fuzz`"]
fn url_lists_and_csv_never_panic() {
    let line = prop_oneof![
        any::<String>(),
        "(https?|javascript|data|ftp)://[a-z0-9.:@/?#%-]{0,40}(,\"?[^\n]{0,20}\"?)?",
        Just("url,caption".to_string()),
        Just("\"http://127.0.0.1/a.jpg\",\"a \"\"quoted\"\" caption\"".to_string()),
    ];
    fuzz(
        "URL lists and CSV",
        prop::collection::vec(line, 0..40).prop_map(|lines| lines.join("\n")),
        |text| {
            let page = url_list::parse(text);
            for c in page.candidates {
                assert!(
                    c.url.starts_with("http://") || c.url.starts_with("https://"),
                    "only http(s) URLs come out: {}",
                    c.url
                );
            }
        },
    );
}
