//! The corpus of bad inputs (issue #8): every broken, hostile or awkward image
//! and response a collector meets on the open web, each at a named, stable
//! route under `/corpus/`, with what the app is expected to make of it. This
//! table is the one place that says so: the routes serve from it,
//! `/corpus/expected.json` publishes it for the tests, `/corpus/urls.txt` and
//! `/corpus/catalog.json` list its images so a user can collect them, and a
//! test checks that README.md lists every route.

use serde_json::{json, Value};

/// How a case's request is answered (see `corpus_routes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serve {
    /// A made file (`corpus_files`) with this Content-Type.
    File(&'static str),
    /// Headers declaring 1 GB, then zeros as fast as they are read.
    HugeLength,
    /// A JPEG's first bytes, then 1 KB every 100 ms, forever (no length).
    Endless,
    /// Zeros as fast as they are read, forever (no length).
    Flood,
    /// Half of a real JPEG (with its whole Content-Length), then the
    /// connection is reset.
    Reset,
    /// A real JPEG without any CORS header.
    NoCors,
    /// A redirect to an address that redirects back.
    RedirectLoop,
    /// This HTTP status with a short text body.
    Status(u16),
    /// 429 with `Retry-After` of 2 s, in seconds or as an HTTP date.
    TooMany { date: bool },
    /// A provider whose JSON is cut off mid-way (any provider path below it).
    Malformed,
    /// A provider with no results (any provider path below it).
    NoResults,
}

/// What the app should make of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The tile shows a thumbnail.
    Collected,
    /// The tile is `failed` and shows the reason.
    Failed,
    /// The tile is `filtered` and shows the reason.
    Filtered,
    /// (Provider) the collection stops; the status line gives the reason.
    Stopped,
    /// (Provider) the collection ends with nothing found, and says so.
    Empty,
}

impl Expect {
    pub fn name(self) -> &'static str {
        match self {
            Expect::Collected => "collected",
            Expect::Failed => "failed",
            Expect::Filtered => "filtered",
            Expect::Stopped => "stopped",
            Expect::Empty => "empty",
        }
    }
}

/// One bad input.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Stable name (`truncated-jpeg`).
    pub name: &'static str,
    /// Path on the local source; for providers, the base address.
    pub route: &'static str,
    /// What it is, in a few words.
    pub what: &'static str,
    pub serve: Serve,
    pub expect: Expect,
    /// A fragment of the reason the app shows (empty for collected ones).
    pub reason: &'static str,
    /// What the app does with it, in a sentence.
    pub app: &'static str,
}

impl Case {
    /// Whether this is an image URL (listed in `urls.txt` and the catalog),
    /// rather than a provider address.
    pub fn is_image(&self) -> bool {
        !matches!(self.serve, Serve::Malformed | Serve::NoResults)
    }

    /// The file name for `Serve::File` cases and others under `/corpus/`.
    pub fn file(&self) -> &'static str {
        self.route.trim_start_matches("/corpus/")
    }
}

const fn case(
    name: &'static str,
    route: &'static str,
    what: &'static str,
    serve: Serve,
    expect: Expect,
    reason: &'static str,
    app: &'static str,
) -> Case {
    Case {
        name,
        route,
        what,
        serve,
        expect,
        reason,
        app,
    }
}

use Expect::{Collected, Empty, Failed, Stopped};
use Serve::*;

/// Every case, images first.
pub const CASES: &[Case] = &[
    case("truncated-jpeg", "/corpus/truncated.jpg", "a 320×240 JPEG cut off at half its bytes", File("image/jpeg"), Failed,
        "it is cut short: the JPEG file ends before its image does", "refuses it before decoding (a browser would draw its missing half grey)"),
    case("truncated-png", "/corpus/truncated.png", "a 320×240 PNG cut off at half its bytes", File("image/png"), Failed,
        "it is cut short: the PNG file ends before its image does", "refuses it before decoding"),
    case("empty", "/corpus/empty.jpg", "zero bytes sent as image/jpeg", File("image/jpeg"), Failed,
        "the server sent an empty file", "refuses it"),
    case("html-as-jpeg", "/corpus/html.jpg", "a sign-in web page sent as image/jpeg", File("image/jpeg"), Failed,
        "the server sent a web page, not an image", "refuses it by its bytes, whatever the Content-Type says"),
    case("png-bomb", "/corpus/bomb.png", "a PNG whose header claims 100 000 × 100 000 px (40 GB decoded)", File("image/png"), Failed,
        "it is 100000×100000 px, over the limit of 16384 px a side", "refuses it from the header, before decoding a pixel"),
    case("huge-length", "/corpus/huge-length.jpg", "a declared Content-Length of 1 GB (and 1 GB of zeros behind it)", HugeLength, Failed,
        "it is 1024.0 MB and the limit is 40.0 MB", "refuses it from its headers and closes the connection"),
    case("endless-body", "/corpus/endless.jpg", "a body that never ends: 1 KB every 100 ms, no Content-Length", Endless, Failed,
        "the image did not finish arriving within", "stops waiting at the download timeout (Settings, 60 s by default), retries, then gives up"),
    case("flood", "/corpus/flood.jpg", "an endless body sent as fast as it is read, no Content-Length", Flood, Failed,
        "it goes on past the limit of 40.0 MB; the download was stopped there", "stops reading at the file size limit (Settings) and closes the connection"),
    case("gif-10000-frames", "/corpus/frames-10000.gif", "a 64×64 animated GIF of 10 000 frames", File("image/gif"), Collected,
        "", "collects it; the thumbnail is the first frame"),
    case("cmyk-jpeg", "/corpus/cmyk.jpg", "a CMYK JPEG (Adobe APP14) of cyan, magenta, yellow and black bands", File("image/jpeg"), Collected,
        "", "collects it"),
    case("progressive-jpeg", "/corpus/progressive.jpg", "a progressive JPEG (SOF2)", File("image/jpeg"), Collected,
        "", "collects it"),
    case("png-16-bit", "/corpus/16-bit.png", "a 16-bit-per-channel RGB PNG", File("image/png"), Collected,
        "", "collects it"),
    case("png-palette-alpha", "/corpus/palette-alpha.png", "a palette PNG with transparency (tRNS)", File("image/png"), Collected,
        "", "collects it, transparency kept"),
    case("webp-lossy", "/corpus/lossy.webp", "a lossy WebP (VP8, in VP8X with an ICC profile)", File("image/webp"), Collected,
        "", "collects it"),
    case("webp-lossless", "/corpus/lossless.webp", "a lossless WebP (VP8L)", File("image/webp"), Collected,
        "", "collects it"),
    case("webp-animated", "/corpus/animated.webp", "an animated WebP of three frames", File("image/webp"), Collected,
        "", "collects it; the thumbnail is the first frame"),
    case("svg", "/corpus/drawing.svg", "an SVG drawing with a script in it", File("image/svg+xml"), Failed,
        "it is an SVG drawing, which is never rendered from an untrusted source", "refuses it by its bytes; nothing of it is drawn"),
    case("tiff", "/corpus/image.tiff", "an uncompressed baseline TIFF", File("image/tiff"), Failed,
        "it is a TIFF file, a format this collector does not take (it takes JPEG, PNG, GIF, WebP and AVIF)", "refuses it, naming the formats it takes"),
    case("bmp", "/corpus/image.bmp", "a 24-bit Windows bitmap", File("image/bmp"), Failed,
        "it is a BMP file, a format this collector does not take (it takes JPEG, PNG, GIF, WebP and AVIF)", "refuses it, naming the formats it takes"),
    case("ico", "/corpus/icon.ico", "a Windows icon holding a PNG", File("image/vnd.microsoft.icon"), Failed,
        "it is an ICO icon, a format this collector does not take (it takes JPEG, PNG, GIF, WebP and AVIF)", "refuses it, naming the formats it takes"),
    case("exif-orientation-6", "/corpus/exif-orientation-6.jpg", "a 120×80 JPEG tagged EXIF orientation 6 (turn 90° clockwise): upright, its top-left quarter is red", File("image/jpeg"), Collected,
        "", "collects it; the thumbnail is upright (80×120, red top-left)"),
    case("avif-rotated", "/corpus/rotated.avif", "a 120×80 AVIF tagged irot 1 (turn 90° anticlockwise): upright, its top-left quarter is red", File("image/avif"), Collected,
        "", "collects it with the browser's decoder; the thumbnail is upright (80×120, red top-left)"),
    case("redirect-loop", "/corpus/redirect-loop.jpg", "a redirect to an address that redirects back", RedirectLoop, Failed,
        "the address redirects in a loop or too many times", "tells it apart from other network errors by a probe, and gives up without retrying"),
    case("status-404", "/corpus/status-404.jpg", "404 Not Found", Status(404), Failed,
        "the server answered 404 Not Found", "gives up at once (not worth retrying)"),
    case("status-410", "/corpus/status-410.jpg", "410 Gone", Status(410), Failed,
        "the server answered 410 Gone", "gives up at once (not worth retrying)"),
    case("status-500", "/corpus/status-500.jpg", "500 Internal Server Error", Status(500), Failed,
        "the server answered 500 Internal Server Error; retried 3 times", "retries with back-off, then gives up"),
    case("status-503", "/corpus/status-503.jpg", "503 Service Unavailable (no Retry-After)", Status(503), Failed,
        "the server answered 503 Service Unavailable; retried 3 times", "retries with back-off, then gives up"),
    case("429-retry-after-seconds", "/corpus/429-seconds.jpg", "429 with Retry-After: 2 (seconds)", TooMany { date: false }, Failed,
        "the server answered 429 Too Many Requests; retried 3 times", "waits as asked before each retry (pausing the host), then gives up"),
    case("429-retry-after-date", "/corpus/429-date.jpg", "429 with Retry-After as an HTTP date 3 s ahead", TooMany { date: true }, Failed,
        "the server answered 429 Too Many Requests; retried 3 times", "waits until that date before each retry (pausing the host), then gives up"),
    case("connection-reset", "/corpus/reset.jpg", "half of a JPEG, then the connection is reset (TCP RST)", Reset, Failed,
        "the connection was dropped before the image finished arriving; retried 3 times", "retries with back-off, then gives up"),
    case("no-cors", "/corpus/no-cors.jpg", "a good JPEG sent without any CORS header", NoCors, Failed,
        "this host does not allow downloads from a web page (its answer has no CORS header)", "tells it apart from an unreachable host by a `no-cors` probe, and gives up without retrying"),
    case("provider-malformed-json", "/corpus/provider/malformed", "a provider (any MediaWiki, Openverse, local search or catalog path below it) whose JSON is cut off", Malformed, Stopped,
        "sent an answer this app cannot read", "stops the collection, saying which service sent what it cannot read"),
    case("provider-no-results", "/corpus/provider/empty", "a provider (any MediaWiki, Openverse, local search or catalog path below it) with 0 results", NoResults, Empty,
        "0 collected, 0 failed", "ends at once with nothing collected and no error"),
];

/// The case served at `/corpus/{file}`.
pub fn by_file(file: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.is_image() && c.file() == file)
}

/// The cases whose route is an image URL.
pub fn images() -> impl Iterator<Item = &'static Case> {
    CASES.iter().filter(|c| c.is_image())
}

/// `/corpus/expected.json`: the table, with absolute URLs.
pub fn expected(base: &str) -> Value {
    let cases: Vec<Value> = CASES
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "route": c.route,
                "url": format!("{base}{}", c.route),
                "kind": if c.is_image() { "image" } else { "provider" },
                "what": c.what,
                "state": c.expect.name(),
                "reason": c.reason,
                "app": c.app,
            })
        })
        .collect();
    json!({ "cases": cases })
}

/// `/corpus/urls.txt`: one image case URL a line, then `good` library URLs.
pub fn urls_txt(base: &str, good: &[String]) -> String {
    let mut out =
        String::from("# The local source's corpus of bad inputs (see /corpus/expected.json).\n");
    for c in images() {
        out.push_str(&format!("{base}{}\n", c.route));
    }
    for url in good {
        out.push_str(url);
        out.push('\n');
    }
    out
}

/// `/corpus/catalog.json`: the image cases as catalog items, then `good` items.
pub fn catalog(base: &str, good: Vec<Value>) -> Value {
    let mut images: Vec<Value> = images()
        .map(|c| {
            json!({
                "url": format!("{base}{}", c.route),
                "title": c.what,
                "tags": ["corpus", c.name],
                "creator": "Local demo source",
                "license": "CC0 1.0",
                "license_url": "https://creativecommons.org/publicdomain/zero/1.0/",
                "source_page": format!("{base}/corpus/expected.json"),
            })
        })
        .collect();
    images.extend(good);
    json!({ "name": "Corpus of bad inputs", "images": images })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_routes_are_unique_and_under_corpus() {
        let mut names = HashSet::new();
        let mut routes = HashSet::new();
        for c in CASES {
            assert!(names.insert(c.name), "{} twice", c.name);
            assert!(routes.insert(c.route), "{} twice", c.route);
            assert!(c.route.starts_with("/corpus/"), "{}", c.route);
            assert_eq!(c.reason.is_empty(), c.expect == Collected, "{}", c.name);
        }
    }

    #[test]
    fn every_made_file_has_its_case_and_every_file_case_its_file() {
        let files = crate::corpus_files::make_all();
        for c in images() {
            if matches!(c.serve, File(_)) {
                assert!(files.contains_key(c.file()), "{} has no file", c.name);
            }
            assert_eq!(by_file(c.file()).map(|f| f.name), Some(c.name));
        }
    }

    #[test]
    fn the_readme_lists_every_route() {
        let readme = include_str!("../../README.md");
        for c in CASES {
            assert!(
                readme.contains(&format!("`{}", c.route)),
                "README.md does not list {}",
                c.route
            );
        }
    }

    #[test]
    fn the_list_and_the_catalog_hold_every_image_case() {
        let n = images().count();
        let txt = urls_txt("http://h", &["http://h/images/1.jpg".into()]);
        assert_eq!(txt.lines().filter(|l| l.starts_with("http")).count(), n + 1);
        let cat = catalog("http://h", vec![json!({"url": "http://h/images/1.jpg"})]);
        assert_eq!(cat["images"].as_array().unwrap().len(), n + 1);
        let exp = expected("http://h");
        assert_eq!(exp["cases"].as_array().unwrap().len(), CASES.len());
    }
}
