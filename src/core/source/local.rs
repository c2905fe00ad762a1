//! The local demo source's search (`/api/search?q=&page=&per_page=`, see
//! `source/README.md`), and the item shape it shares with catalogs.
//!
//! [`LocalSearch`] pages through the results until a page comes back empty or
//! the answer's `total` is reached. The page size follows what the collector
//! still wants (at most 100, the service's limit); since the service pages by
//! number, a request whose size differs from the last one asks for the page
//! that holds the next unseen result and skips what was already read, so
//! nothing is missed or read twice.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::shared::{
    check_status, lenient_string, lenient_u32, lenient_u64, notice_page, parse_base, parse_json,
};
use super::text::{absolute_http, clean, http_only};
use super::{Source, SourceError, SourcePage, SourceRequest, Step};
use crate::core::candidate::Candidate;

const SERVICE: &str = "The local demo source";
/// The service's largest `per_page`.
const MAX_PER_PAGE: usize = 100;

/// One image record in the local source's shape (search results and catalogs).
/// Every field is optional; unknown fields (`id`, …) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Item {
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    #[serde(deserialize_with = "lenient_string")]
    title: String,
    #[serde(deserialize_with = "lenient_string")]
    creator: String,
    #[serde(deserialize_with = "lenient_string")]
    license: String,
    #[serde(deserialize_with = "lenient_string")]
    license_url: String,
    #[serde(deserialize_with = "lenient_string")]
    source_page: String,
    #[serde(deserialize_with = "lenient_string")]
    provider: String,
    #[serde(deserialize_with = "lenient_string")]
    caption: String,
    #[serde(deserialize_with = "lenient_string")]
    mime: String,
    #[serde(deserialize_with = "lenient_u32")]
    width: Option<u32>,
    #[serde(deserialize_with = "lenient_u32")]
    height: Option<u32>,
    #[serde(deserialize_with = "lenient_u64")]
    bytes: Option<u64>,
    tags: Value,
}

/// Candidates from a list of items in the local source's shape. Relative URLs
/// are resolved against `base` (where the list came from); items that are not
/// records or have no http(s) image URL are skipped with a notice.
/// `provider` is used where an item names none; `first` is the number of
/// the first item in the whole list (for notices).
pub(crate) fn read_items(
    items: &[Value],
    first: u64,
    base: Option<&Url>,
    provider: &str,
    notices: &mut Vec<String>,
) -> Vec<Candidate> {
    let mut candidates = Vec::with_capacity(items.len());
    for (i, value) in items.iter().enumerate() {
        let item: Item = match value {
            Value::Object(_) => match Item::deserialize(value) {
                Ok(item) => item,
                Err(_) => {
                    notices.push(format!(
                        "Item {} is not an image record; skipped.",
                        first + i as u64
                    ));
                    continue;
                }
            },
            _ => {
                notices.push(format!(
                    "Item {} is not an image record; skipped.",
                    first + i as u64
                ));
                continue;
            }
        };
        let Some(url) = absolute_http(&item.url, base) else {
            notices.push(format!(
                "Item {} has no http(s) image URL; skipped.",
                first + i as u64
            ));
            continue;
        };
        let caption = if item.caption.trim().is_empty() {
            tags_text(&item.tags)
        } else {
            clean(&item.caption)
        };
        let source_page = absolute_http(&item.source_page, base).unwrap_or_default();
        let item_provider = clean(&item.provider);
        candidates.push(Candidate {
            url,
            title: clean(&item.title),
            creator: clean(&item.creator),
            license: clean(&item.license),
            license_url: http_only(&item.license_url),
            source_page,
            provider: if item_provider.is_empty() {
                provider.to_string()
            } else {
                item_provider
            },
            caption,
            attribution: String::new(),
            source: String::new(),
            width: item.width,
            height: item.height,
            mime: Some(clean(&item.mime)).filter(|m| !m.is_empty()),
            bytes: item.bytes,
        });
    }
    candidates
}

/// The tags as "lake, fog" (the Commons-shaped endpoint's description).
fn tags_text(tags: &Value) -> String {
    let Value::Array(tags) = tags else {
        return String::new();
    };
    let words: Vec<String> = tags
        .iter()
        .map(|t| match t {
            Value::Object(o) => o
                .get("name")
                .map(|n| clean(&super::shared::value_text(n)))
                .unwrap_or_default(),
            other => clean(&super::shared::value_text(other)),
        })
        .filter(|t| !t.is_empty())
        .collect();
    words.join(", ")
}

/// Search of the local demo source, page by page.
#[derive(Clone, Debug)]
pub struct LocalSearch {
    base: Result<Url, String>,
    query: String,
    /// Results (positions in the whole result list) read so far.
    offset: u64,
    total: Option<u64>,
    /// Results to skip at the start of the page last requested.
    skip: u64,
    done: bool,
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default, deserialize_with = "lenient_u64")]
    total: Option<u64>,
    images: Vec<Value>,
}

impl LocalSearch {
    /// A search of `query` at the local source whose base URL is `api_base`
    /// (e.g. [`super::endpoints::LOCAL_SOURCE`]).
    pub fn new(api_base: &str, query: &str) -> Self {
        LocalSearch {
            base: parse_base("the local demo source", api_base),
            query: query.trim().to_string(),
            offset: 0,
            total: None,
            skip: 0,
            done: false,
        }
    }
}

impl Source for LocalSearch {
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
        let per_page = wanted.clamp(1, MAX_PER_PAGE) as u64;
        let page = self.offset / per_page + 1;
        self.skip = self.offset % per_page;
        let mut url = base.clone();
        url.set_path(&format!("{}/api/search", base.path().trim_end_matches('/')));
        url.set_query(None);
        url.set_fragment(None);
        url.query_pairs_mut()
            .append_pair("q", &self.query)
            .append_pair("page", &page.to_string())
            .append_pair("per_page", &per_page.to_string());
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
        check_status(SERVICE, status, retry_after)?;
        let answer: SearchAnswer = parse_json(SERVICE, body)?;
        let skip = usize::try_from(self.skip).unwrap_or(usize::MAX);
        let fresh = answer.images.get(skip..).unwrap_or(&[]);
        let mut notices = Vec::new();
        let candidates = read_items(
            fresh,
            self.offset + 1,
            self.base.as_ref().ok(),
            "local",
            &mut notices,
        );
        self.offset += fresh.len() as u64;
        self.skip = 0;
        if answer.total.is_some() {
            self.total = answer.total;
        }
        if fresh.is_empty() || self.total.is_some_and(|t| self.offset >= t) {
            self.done = true;
        }
        Ok(SourcePage {
            candidates,
            total: self.total,
            notices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE1: &str = include_str!("../../../tests/fixtures/local_search_page1.json");
    const PAGE2: &str = include_str!("../../../tests/fixtures/local_search_page2.json");
    const PAST_END: &str = include_str!("../../../tests/fixtures/local_search_past_end.json");

    fn fetch_url(step: Step) -> Url {
        match step {
            Step::Fetch(req) => {
                assert!(req.headers.is_empty());
                Url::parse(&req.url).expect("a valid URL")
            }
            other => panic!("expected a fetch, got {other:?}"),
        }
    }

    fn pairs(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn local_search_request_shape() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765/", "misty lake & fog");
        let url = fetch_url(s.next(1000));
        assert_eq!(url.path(), "/api/search");
        assert_eq!(
            pairs(&url),
            vec![
                p("q", "misty lake & fog"),
                p("page", "1"),
                p("per_page", "100")
            ]
        );
        assert!(url.as_str().contains("q=misty+lake+%26+fog"));
        let url = fetch_url(s.next(0));
        assert_eq!(pairs(&url)[2], p("per_page", "1"));
    }

    #[test]
    fn local_search_pages_until_the_total() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765", "lake");
        let url = fetch_url(s.next(3));
        assert_eq!(
            pairs(&url),
            vec![p("q", "lake"), p("page", "1"), p("per_page", "3")]
        );
        let page = s.read(200, None, PAGE1).expect("page 1 reads");
        assert_eq!(page.total, Some(5));
        assert_eq!(page.candidates.len(), 3);
        let c = &page.candidates[0];
        assert_eq!(c.url, "http://127.0.0.1:8765/images/12.jpg");
        assert_eq!(c.title, "Misty lake");
        assert_eq!(c.creator, "A. Person");
        assert_eq!(c.license, "CC BY 4.0");
        assert_eq!(
            c.license_url,
            "https://creativecommons.org/licenses/by/4.0/"
        );
        assert_eq!(c.source_page, "http://127.0.0.1:8765/pages/12");
        assert_eq!(c.provider, "local");
        assert_eq!(c.caption, "lake, fog");
        assert_eq!(
            (c.width, c.height, c.bytes),
            (Some(1024), Some(768), Some(123456))
        );
        assert_eq!(c.mime.as_deref(), Some("image/jpeg"));

        let url = fetch_url(s.next(3));
        assert_eq!(
            pairs(&url),
            vec![p("q", "lake"), p("page", "2"), p("per_page", "3")]
        );
        let page = s.read(200, None, PAGE2).expect("page 2 reads");
        // One of the two has a javascript: URL and is skipped with a notice.
        assert_eq!(page.candidates.len(), 1);
        assert_eq!(
            page.notices,
            vec!["Item 5 has no http(s) image URL; skipped.".to_string()]
        );
        assert_eq!(s.next(3), Step::Done);
    }

    #[test]
    fn local_search_stops_on_an_empty_page() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765", "");
        let _ = s.next(50);
        let page = s.read(200, None, PAST_END).expect("reads");
        assert!(page.candidates.is_empty());
        assert_eq!(s.next(50), Step::Done);
    }

    #[test]
    fn local_search_changing_page_size_neither_skips_nor_repeats() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765", "lake");
        let _ = s.next(3);
        s.read(200, None, PAGE1).expect("reads");
        // Three read; now the collector wants 2 at a time: page 2 of size 2
        // holds results 3 and 4, and the first of those (index 2) was read.
        let url = fetch_url(s.next(2));
        assert_eq!(pairs(&url)[1..], [p("page", "2"), p("per_page", "2")]);
        let body = r#"{"total": 5, "page": 2, "per_page": 2, "images": [
            {"url": "http://127.0.0.1:8765/images/3.png"}, {"url": "http://127.0.0.1:8765/images/4.png"}]}"#;
        let page = s.read(200, None, body).expect("reads");
        assert_eq!(page.candidates.len(), 1);
        assert_eq!(page.candidates[0].url, "http://127.0.0.1:8765/images/4.png");
    }

    #[test]
    fn local_search_errors_are_sentences() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765", "x");
        let _ = s.next(10);
        let e = s.read(503, Some("1"), "busy").unwrap_err();
        assert!(e.is_transient());
        assert!(
            matches!(&e, SourceError::Http { status: 503, retry_after: Some(r), .. } if r == "1")
        );
        // A transient error does not advance: the same request comes again.
        assert_eq!(pairs(&fetch_url(s.next(10)))[1], p("page", "1"));
        let e = s.read(404, None, "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The local demo source answered 404 Not Found."
        );
        let e = s.read(200, None, "{\"total\": 3}").unwrap_err();
        assert!(matches!(
            e,
            SourceError::Malformed {
                service: "The local demo source",
                ..
            }
        ));
        assert!(e
            .to_string()
            .starts_with("The local demo source sent an answer this app cannot read"));
    }

    #[test]
    fn local_search_tolerates_odd_fields() {
        let mut s = LocalSearch::new("http://127.0.0.1:8765", "x");
        let _ = s.next(10);
        let body = r#"{"total": "2", "extra": {"a": 1}, "images": [
            {"url": "/images/1.gif", "width": null, "height": 12.0, "bytes": "77", "title": 5, "tags": null, "new": true},
            "not a record"]}"#;
        let page = s.read(200, None, body).expect("reads");
        assert_eq!(page.candidates.len(), 1);
        let c = &page.candidates[0];
        assert_eq!(c.url, "http://127.0.0.1:8765/images/1.gif");
        assert_eq!((c.width, c.height, c.bytes), (None, Some(12), Some(77)));
        assert_eq!(c.title, "5");
        assert_eq!(c.mime, None);
        assert_eq!(
            page.notices,
            vec!["Item 2 is not an image record; skipped.".to_string()]
        );
        assert_eq!(s.next(10), Step::Done);
    }

    #[test]
    fn local_search_bad_base_is_a_notice() {
        let mut s = LocalSearch::new("not a url", "x");
        match s.next(10) {
            Step::Ready(page) => assert_eq!(page.notices.len(), 1),
            other => panic!("expected a notice, got {other:?}"),
        }
        assert_eq!(s.next(10), Step::Done);
    }
}
