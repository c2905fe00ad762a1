//! Openverse image search (`{api}/v1/images/?q=&page=&page_size=` plus filters).
//!
//! Anonymous use of the real API allows at most 20 results a page and 20
//! pages (and caps `page_count * page_size` at 240); asking for more answers
//! 401. [`Openverse`] therefore sizes pages by what the collector still wants,
//! at most 20, never requests page 21, and stops when a page is empty or the
//! answer's `page_count` is reached. Since the API pages by number, a request
//! whose size differs from the last one asks for the page that holds the next
//! unseen result and skips what was already read.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::shared::{
    carry_retry_after, check_status, fit_query, lenient_string, lenient_u32, lenient_u64,
    notice_page, parse_base, parse_json, sentence, status_error, value_text,
};
use super::text::{absolute_http, clean, http_only, plain};
use super::{Source, SourceError, SourcePage, SourceRequest, Step};
use crate::core::candidate::Candidate;

const SERVICE: &str = "Openverse";
/// Anonymous limits of the real API.
const MAX_PAGE_SIZE: usize = 20;
const MAX_PAGE: u64 = 20;
/// The longest `q` the API takes ("a query string that should not exceed
/// 200 characters in length").
pub const MAX_QUERY_CHARS: usize = 200;

/// Openverse's search filters. Each is the API's own parameter value (e.g.
/// `license_type = "commercial"`, `license = "by,by-sa"`, `extension = "jpg"`,
/// `size = "large"`, `aspect_ratio = "wide"`); empty means unset.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    pub license_type: String,
    pub license: String,
    pub category: String,
    pub extension: String,
    pub size: String,
    pub aspect_ratio: String,
}

impl Filters {
    /// The set filters as query parameters, in a fixed order, values trimmed.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("license_type", &self.license_type),
            ("license", &self.license),
            ("category", &self.category),
            ("extension", &self.extension),
            ("size", &self.size),
            ("aspect_ratio", &self.aspect_ratio),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }
}

/// An Openverse image search, page by page.
#[derive(Clone, Debug)]
pub struct Openverse {
    base: Result<Url, String>,
    query: String,
    /// Says the query was shortened to fit, before the first request.
    shortened: Option<String>,
    filters: Filters,
    /// Results (positions in the whole result list) read so far.
    offset: u64,
    /// Page number and results to skip of the request last made.
    page: u64,
    skip: u64,
    total: Option<u64>,
    done: bool,
}

impl Openverse {
    /// A search of `query` with `filters` at the Openverse API whose base URL
    /// is `api_base` (e.g. [`super::endpoints::OPENVERSE_API`]).
    pub fn new(api_base: &str, query: &str, filters: Filters) -> Self {
        let (query, shortened) = fit_query(SERVICE, query, MAX_QUERY_CHARS);
        Openverse {
            base: parse_base("Openverse", api_base),
            query,
            shortened,
            filters,
            offset: 0,
            page: 1,
            skip: 0,
            total: None,
            done: false,
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default, deserialize_with = "lenient_u64")]
    result_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    page_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    page: Option<u64>,
    results: Vec<Value>,
}

/// One result; only the fields the collector uses are read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Image {
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    #[serde(deserialize_with = "lenient_string")]
    title: String,
    #[serde(deserialize_with = "lenient_string")]
    creator: String,
    #[serde(deserialize_with = "lenient_string")]
    license: String,
    #[serde(deserialize_with = "lenient_string")]
    license_version: String,
    #[serde(deserialize_with = "lenient_string")]
    license_url: String,
    #[serde(deserialize_with = "lenient_string")]
    foreign_landing_url: String,
    #[serde(deserialize_with = "lenient_string")]
    provider: String,
    #[serde(deserialize_with = "lenient_string")]
    filetype: String,
    #[serde(deserialize_with = "lenient_u64")]
    filesize: Option<u64>,
    #[serde(deserialize_with = "lenient_u32")]
    width: Option<u32>,
    #[serde(deserialize_with = "lenient_u32")]
    height: Option<u32>,
    #[serde(deserialize_with = "lenient_string")]
    attribution: String,
    #[serde(deserialize_with = "lenient_string")]
    source: String,
}

impl Source for Openverse {
    fn next(&mut self, wanted: usize) -> Step {
        if self.done {
            return Step::Done;
        }
        let base = match &self.base {
            Ok(base) => base,
            Err(notice) => {
                self.done = true;
                return Step::Ready(notice_page(notice.clone()));
            }
        };
        if let Some(notice) = self.shortened.take() {
            return Step::Ready(notice_page(notice));
        }
        let mut page_size = wanted.clamp(1, MAX_PAGE_SIZE) as u64;
        let mut page = self.offset / page_size + 1;
        if page > MAX_PAGE {
            // Larger pages reach further within the 20-page limit.
            page_size = MAX_PAGE_SIZE as u64;
            page = self.offset / page_size + 1;
        }
        if page > MAX_PAGE {
            self.done = true;
            return Step::Ready(notice_page(format!(
                "Openverse gives anonymous users at most {MAX_PAGE} pages of results; stopped after {} results.",
                self.offset
            )));
        }
        self.page = page;
        self.skip = self.offset % page_size;
        let mut url = base.clone();
        url.set_path(&format!("{}/v1/images/", base.path().trim_end_matches('/')));
        url.set_query(None);
        url.set_fragment(None);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", &self.query)
                .append_pair("page", &page.to_string())
                .append_pair("page_size", &page_size.to_string());
            for (k, v) in self.filters.pairs() {
                q.append_pair(k, v);
            }
        }
        Step::Fetch(SourceRequest {
            url: url.into(),
            headers: Vec::new(),
        })
    }

    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<SourcePage, SourceError> {
        match status {
            401 => {
                let said = match detail(body) {
                    Some(detail) => format!("Openverse said: {}", sentence(&detail)),
                    None => "this request asked for more.".to_string(),
                };
                return Err(SourceError::Http {
                    status,
                    message: format!(
                        "Openverse refused the request (401): anonymous use allows at most 20 results a page and 20 pages; {said}"
                    ),
                    retry_after: carry_retry_after(retry_after),
                });
            }
            400 | 403 | 404 | 422 => {
                if let Some(detail) = detail(body) {
                    let mut e = status_error(SERVICE, status, retry_after);
                    if let SourceError::Http { message, .. } = &mut e {
                        let base = message.trim_end_matches('.').to_string();
                        *message = format!("{base}: {}", sentence(&detail));
                    }
                    return Err(e);
                }
            }
            _ => {}
        }
        check_status(SERVICE, status, retry_after)?;
        let answer: Answer = parse_json(SERVICE, body)?;
        let skip = usize::try_from(self.skip).unwrap_or(usize::MAX);
        let fresh = answer.results.get(skip..).unwrap_or(&[]);
        let mut notices = Vec::new();
        let mut candidates = Vec::with_capacity(fresh.len());
        for (i, value) in fresh.iter().enumerate() {
            let number = self.offset + i as u64 + 1;
            let image = match value {
                Value::Object(_) => Image::deserialize(value).ok(),
                _ => None,
            };
            let Some(image) = image else {
                notices.push(format!(
                    "Openverse result {number} is not an image record; skipped."
                ));
                continue;
            };
            match candidate(image) {
                Some(c) => candidates.push(c),
                None => notices.push(format!(
                    "Openverse result {number} has no http(s) image URL; skipped."
                )),
            }
        }
        self.offset += fresh.len() as u64;
        self.skip = 0;
        if answer.result_count.is_some() {
            self.total = answer.result_count;
        }
        let page = answer.page.unwrap_or(self.page);
        if fresh.is_empty()
            || page >= MAX_PAGE
            || answer.page_count.is_some_and(|count| page >= count)
        {
            self.done = true;
        }
        Ok(SourcePage {
            candidates,
            total: self.total,
            notices,
        })
    }
}

fn candidate(image: Image) -> Option<Candidate> {
    let url = absolute_http(&image.url, None)?;
    let filetype = clean(&image.filetype);
    let mime = mime_for(&filetype).or_else(|| {
        let path = Url::parse(&url).ok()?.path().to_string();
        let ext = path.rsplit_once('.')?.1.to_string();
        mime_for(&ext)
    });
    let provider = clean(&image.provider);
    Some(Candidate {
        url,
        title: plain(&image.title),
        creator: plain(&image.creator),
        license: license_name(&image.license, &image.license_version),
        license_url: http_only(&image.license_url),
        source_page: http_only(&image.foreign_landing_url),
        provider: if provider.is_empty() {
            "openverse".to_string()
        } else {
            provider
        },
        caption: String::new(),
        attribution: plain(&image.attribution),
        source: plain(&image.source),
        width: image.width,
        height: image.height,
        mime: mime.map(str::to_string),
        bytes: image.filesize,
    })
}

/// A readable short license name from Openverse's `license` code and
/// `license_version`: ("by", "2.0") → "CC BY 2.0", ("cc0", "1.0") → "CC0 1.0",
/// ("pdm", "1.0") → "PDM 1.0".
pub fn license_name(code: &str, version: &str) -> String {
    let code = clean(code).to_ascii_lowercase();
    let version = clean(version);
    let name = match code.as_str() {
        "" => return String::new(),
        "cc0" => "CC0".to_string(),
        "pdm" => "PDM".to_string(),
        "sampling+" => "CC Sampling+".to_string(),
        "nc-sampling+" => "CC NC-Sampling+".to_string(),
        c if c == "by" || c.starts_with("by-") => format!("CC {}", c.to_ascii_uppercase()),
        c => c.to_ascii_uppercase(),
    };
    if version.is_empty() {
        name
    } else {
        format!("{name} {version}")
    }
}

/// The MIME type for an Openverse `filetype` (or a file extension).
fn mime_for(filetype: &str) -> Option<&'static str> {
    Some(match filetype.trim().to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" | "jpe" | "jfif" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "tif" | "tiff" => "image/tiff",
        "bmp" => "image/bmp",
        "avif" => "image/avif",
        "heic" => "image/heic",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// The `detail` of an Openverse error body, as text: a string as is, an
/// object's or list's strings joined (e.g. `{"page_size": ["…"]}`).
fn detail(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body.trim()).ok()?;
    let detail = value.get("detail").or_else(|| value.get("error"))?;
    let mut parts = Vec::new();
    collect_strings(detail, &mut parts, 0);
    let text = clean(&parts.join("; "));
    if text.is_empty() {
        return None;
    }
    // An error message is short; a huge one is cut to keep the sentence readable.
    Some(match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    })
}

fn collect_strings(value: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    match value {
        Value::Array(items) => items
            .iter()
            .for_each(|v| collect_strings(v, out, depth + 1)),
        Value::Object(map) => map
            .values()
            .for_each(|v| collect_strings(v, out, depth + 1)),
        other => {
            let text = value_text(other);
            if !text.is_empty() {
                out.push(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = include_str!("../../../tests/fixtures/openverse_page.json");
    const LAST: &str = include_str!("../../../tests/fixtures/openverse_last.json");
    const EMPTY: &str = include_str!("../../../tests/fixtures/openverse_empty.json");
    const REFUSED: &str = include_str!("../../../tests/fixtures/openverse_401.json");
    const API: &str = "https://api.openverse.org";

    fn fetch_url(step: Step) -> Url {
        match step {
            Step::Fetch(req) => {
                assert!(req.headers.is_empty(), "no headers are sent to Openverse");
                Url::parse(&req.url).expect("a valid URL")
            }
            other => panic!("expected a fetch, got {other:?}"),
        }
    }

    fn get(url: &Url, key: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    #[test]
    fn openverse_request_shape() {
        let mut s = Openverse::new(API, "red fox & hen", Filters::default());
        let url = fetch_url(s.next(5));
        assert_eq!(
            url.as_str(),
            "https://api.openverse.org/v1/images/?q=red+fox+%26+hen&page=1&page_size=5"
        );
        let mut s = Openverse::new("http://127.0.0.1:8765/", "", Filters::default());
        assert_eq!(
            fetch_url(s.next(5)).as_str(),
            "http://127.0.0.1:8765/v1/images/?q=&page=1&page_size=5"
        );
    }

    #[test]
    fn openverse_unicode_queries_go_whole_and_long_ones_fit_its_limit() {
        // Emoji and right-to-left text reach the API exactly as typed.
        let q = "🦊 שועל أحمر fox";
        let mut s = Openverse::new(API, q, Filters::default());
        assert_eq!(get(&fetch_url(s.next(5)), "q").as_deref(), Some(q));
        // 300 characters: a notice first, then a request within 200.
        let long = "fox ".repeat(75);
        let mut s = Openverse::new(API, &long, Filters::default());
        match s.next(5) {
            Step::Ready(page) => {
                assert!(page.candidates.is_empty());
                assert_eq!(
                    page.notices,
                    vec!["Openverse searches at most 200 characters; this query has 299, so only its first 199 were searched.".to_string()]
                );
            }
            other => panic!("expected the notice first, got {other:?}"),
        }
        let sent = get(&fetch_url(s.next(5)), "q").unwrap();
        assert!(sent.chars().count() <= MAX_QUERY_CHARS);
        assert!(sent.starts_with("fox fox") && sent.ends_with("fox"));
    }

    #[test]
    fn openverse_page_size_and_page_limits() {
        let mut s = Openverse::new(API, "fox", Filters::default());
        let url = fetch_url(s.next(1000));
        assert_eq!(get(&url, "page_size").as_deref(), Some("20"));
        assert_eq!(get(&url, "page").as_deref(), Some("1"));
        assert_eq!(
            get(&fetch_url(s.next(0)), "page_size").as_deref(),
            Some("1")
        );

        // Never page 21: deep into the results with a small page size, the
        // page size grows; past 20 full pages, the source stops.
        let mut s = Openverse::new(API, "fox", Filters::default());
        s.offset = 100;
        let url = fetch_url(s.next(3));
        assert_eq!(
            (
                get(&url, "page").as_deref(),
                get(&url, "page_size").as_deref()
            ),
            (Some("6"), Some("20"))
        );
        s.offset = 399;
        let url = fetch_url(s.next(20));
        assert_eq!(get(&url, "page").as_deref(), Some("20"));
        s.offset = 400;
        assert!(matches!(s.next(20), Step::Ready(page) if page.notices.len() == 1));
        assert_eq!(s.next(20), Step::Done);

        // A page numbered 20 is the last one asked for, whatever page_count says.
        let mut s = Openverse::new(API, "fox", Filters::default());
        s.offset = 380;
        let _ = s.next(20);
        let body = r#"{"result_count": 10000, "page_count": 500, "page_size": 20, "page": 20,
            "results": [{"url": "https://example.org/a.jpg"}]}"#;
        s.read(200, None, body).expect("reads");
        assert_eq!(s.next(20), Step::Done);
    }

    #[test]
    fn openverse_reads_a_page() {
        let mut s = Openverse::new(API, "fox", Filters::default());
        let _ = s.next(3);
        let page = s.read(200, None, PAGE).expect("reads");
        assert_eq!(page.total, Some(42));
        assert_eq!(page.candidates.len(), 3);
        let c = &page.candidates[0];
        assert_eq!(
            c.url,
            "https://live.staticflickr.com/3850/14846112541_7bd4a8b6a4_b.jpg"
        );
        assert_eq!(c.title, "Red fox in the snow");
        assert_eq!(c.creator, "Peter & Jane");
        assert_eq!(c.license, "CC BY 2.0");
        assert_eq!(c.source, "flickr");
        assert!(
            c.attribution.starts_with(
                "\"Red fox in the snow\" by Peter & Jane is licensed under CC BY 2.0."
            ),
            "{}",
            c.attribution
        );
        assert_eq!(
            c.license_url,
            "https://creativecommons.org/licenses/by/2.0/"
        );
        assert_eq!(
            c.source_page,
            "https://www.flickr.com/photos/12345678@N00/14846112541"
        );
        assert_eq!(c.provider, "flickr");
        assert_eq!(c.caption, "");
        assert_eq!(
            (c.width, c.height, c.bytes),
            (Some(1024), Some(683), Some(254187))
        );
        assert_eq!(c.mime.as_deref(), Some("image/jpeg"));
        let c = &page.candidates[1];
        assert_eq!(c.license, "CC0 1.0");
        assert_eq!(c.provider, "wikimedia");
        assert_eq!(c.mime.as_deref(), Some("image/png"));
        assert_eq!(c.bytes, None);
        let c = &page.candidates[2];
        assert_eq!(c.license, "PDM 1.0");
        assert_eq!(c.title, "ثعلب أحمر 🦊");
        assert_eq!(c.creator, "");
        assert_eq!(
            c.mime.as_deref(),
            Some("image/webp"),
            "from the URL when filetype is null"
        );
        // page 1 of 15: more to come, page 2 next.
        assert_eq!(get(&fetch_url(s.next(3)), "page").as_deref(), Some("2"));
    }

    #[test]
    fn openverse_stops_at_page_count_or_an_empty_page() {
        let mut s = Openverse::new(API, "fox", Filters::default());
        let _ = s.next(20);
        let page = s.read(200, None, LAST).expect("reads");
        assert_eq!(page.candidates.len(), 1);
        assert_eq!(
            page.notices,
            vec!["Openverse result 2 has no http(s) image URL; skipped.".to_string()]
        );
        assert_eq!(s.next(20), Step::Done);

        let mut s = Openverse::new(API, "qqqzzz", Filters::default());
        let _ = s.next(20);
        let page = s.read(200, None, EMPTY).expect("reads");
        assert!(page.candidates.is_empty());
        assert_eq!(page.total, Some(0));
        assert_eq!(s.next(20), Step::Done);
    }

    #[test]
    fn openverse_filters_are_passed() {
        let filters = Filters {
            license_type: "commercial".into(),
            license: "by,by-sa".into(),
            category: String::new(),
            extension: " jpg ".into(),
            size: "large".into(),
            aspect_ratio: "wide".into(),
        };
        let mut s = Openverse::new(API, "fox", filters);
        let url = fetch_url(s.next(10));
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let expected: Vec<(String, String)> = [
            ("q", "fox"),
            ("page", "1"),
            ("page_size", "10"),
            ("license_type", "commercial"),
            ("license", "by,by-sa"),
            ("extension", "jpg"),
            ("size", "large"),
            ("aspect_ratio", "wide"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pairs, expected);
        assert!(url.as_str().contains("license=by%2Cby-sa"));
    }

    #[test]
    fn openverse_401_and_429_read_as_sentences() {
        let mut s = Openverse::new(API, "fox", Filters::default());
        let _ = s.next(20);
        let e = s.read(401, None, REFUSED).unwrap_err();
        assert!(!e.is_transient());
        assert_eq!(
            e.to_string(),
            "Openverse refused the request (401): anonymous use allows at most 20 results a page and 20 pages; \
             Openverse said: Authentication credentials were not provided. Anonymous requests are limited to 20 pages."
        );
        let e = s.read(401, None, "").unwrap_err();
        assert!(e
            .to_string()
            .ends_with("20 pages; this request asked for more."));

        let e = s.read(
            429,
            Some("30"),
            r#"{"detail": "Request was throttled. Expected available in 30 seconds."}"#,
        );
        let e = e.unwrap_err();
        assert!(e.is_transient());
        assert!(
            e.to_string()
                .starts_with("Openverse asks us to slow down (429 Too Many Requests); "),
            "{e}"
        );
        assert!(
            matches!(e, SourceError::Http { status: 429, retry_after: Some(ref r), .. } if r == "30")
        );

        let e = s.read(
            400,
            None,
            r#"{"detail": {"page_size": ["Ensure this value is less than or equal to 500."]}}"#,
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "Openverse answered 400 Bad Request: Ensure this value is less than or equal to 500."
        );
        assert!(s.read(502, None, "<html>").unwrap_err().is_transient());
        let e = s
            .read(200, None, "<!DOCTYPE html><html></html>")
            .unwrap_err();
        assert!(matches!(
            e,
            SourceError::Malformed {
                service: "Openverse",
                ..
            }
        ));
        // Errors do not advance: the same page is asked for again.
        assert_eq!(get(&fetch_url(s.next(20)), "page").as_deref(), Some("1"));
    }

    #[test]
    fn openverse_license_names() {
        assert_eq!(license_name("by", "2.0"), "CC BY 2.0");
        assert_eq!(license_name("by-nc-sa", "4.0"), "CC BY-NC-SA 4.0");
        assert_eq!(license_name("cc0", "1.0"), "CC0 1.0");
        assert_eq!(license_name("pdm", "1.0"), "PDM 1.0");
        assert_eq!(license_name("sampling+", "1.0"), "CC Sampling+ 1.0");
        assert_eq!(license_name("by", ""), "CC BY");
        assert_eq!(license_name("", "1.0"), "");
    }
}
