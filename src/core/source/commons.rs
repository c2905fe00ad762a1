//! Wikimedia Commons through the MediaWiki Action API: a full-text search of
//! the File namespace (`generator=search`, `gsrnamespace=6`) with each file's
//! `imageinfo` (URL, size, MIME type and `extmetadata` credits) in the same
//! answer.
//!
//! [`Commons`] pages with MediaWiki's continuation: every key of the answer's
//! `continue` object goes back verbatim on the next request, and an answer
//! without `continue` is the last. Requests carry `Api-User-Agent` (a browser
//! cannot set `User-Agent`) and `origin=*` for anonymous CORS. Credits in
//! `extmetadata` are HTML; they are reduced to plain text here.

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::endpoints::API_USER_AGENT;
use super::shared::{
    check_status, fit_query, lenient_string, lenient_u32, lenient_u64, notice_page, parse_base,
    parse_json, sentence, value_text,
};
use super::text::{absolute_http, http_only, plain};
use super::{Source, SourceError, SourcePage, SourceRequest, Step};
use crate::core::candidate::Candidate;

const SERVICE: &str = "Wikimedia Commons";
/// The API's largest `gsrlimit` for anonymous clients.
const MAX_LIMIT: usize = 50;
/// The longest search CirrusSearch takes (`$wgCirrusSearchMaxFullTextQueryLength`,
/// 300 by default and on Commons); longer ones fail with `cirrussearch-query-too-long`.
pub const MAX_QUERY_CHARS: usize = 300;

/// A search of Wikimedia Commons (or anything answering like its API).
#[derive(Clone, Debug)]
pub struct Commons {
    api: Result<Url, String>,
    query: String,
    /// Says the query was shortened to fit, before the first request.
    shortened: Option<String>,
    thumb_px: u32,
    /// The last answer's `continue` object, as query parameters.
    continuation: Vec<(String, String)>,
    done: bool,
}

impl Commons {
    /// A search of `query` through the MediaWiki API at `api` (its `…/w/api.php`,
    /// e.g. [`super::endpoints::COMMONS_API`]), asking for thumbnails `thumb_px`
    /// wide (`iiurlwidth`; 0 leaves it out).
    pub fn new(api: &str, query: &str, thumb_px: u32) -> Self {
        let (query, shortened) = fit_query(SERVICE, query, MAX_QUERY_CHARS);
        Commons {
            api: parse_base("Wikimedia Commons", api),
            query,
            shortened,
            thumb_px,
            continuation: Vec::new(),
            done: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PageRecord {
    #[serde(deserialize_with = "lenient_string")]
    title: String,
    #[serde(deserialize_with = "lenient_u64")]
    index: Option<u64>,
    imageinfo: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ImageInfo {
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    #[serde(deserialize_with = "lenient_string")]
    descriptionurl: String,
    #[serde(deserialize_with = "lenient_u32")]
    width: Option<u32>,
    #[serde(deserialize_with = "lenient_u32")]
    height: Option<u32>,
    #[serde(deserialize_with = "lenient_u64")]
    size: Option<u64>,
    #[serde(deserialize_with = "lenient_string")]
    mime: String,
    extmetadata: Value,
}

impl Source for Commons {
    fn next(&mut self, wanted: usize) -> Step {
        if self.done {
            return Step::Done;
        }
        let api = match &self.api {
            Ok(api) => api,
            Err(notice) => {
                self.done = true;
                return Step::Ready(notice_page(notice.clone()));
            }
        };
        if self.query.is_empty() {
            self.done = true;
            return Step::Ready(notice_page(
                "Type some words to search Wikimedia Commons for.".to_string(),
            ));
        }
        if let Some(notice) = self.shortened.take() {
            return Step::Ready(notice_page(notice));
        }
        let limit = wanted.clamp(1, MAX_LIMIT);
        let mut params: Vec<(String, String)> = [
            ("action", "query"),
            ("generator", "search"),
            ("gsrnamespace", "6"),
            ("gsrsearch", self.query.as_str()),
            ("gsrlimit", &limit.to_string()),
            ("prop", "imageinfo"),
            ("iiprop", "url|size|mime|extmetadata"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if self.thumb_px > 0 {
            params.push(("iiurlwidth".into(), self.thumb_px.to_string()));
        }
        params.push(("format".into(), "json".into()));
        params.push(("origin".into(), "*".into()));
        for (key, value) in &self.continuation {
            match params.iter_mut().find(|(k, _)| k == key) {
                Some(slot) => slot.1 = value.clone(),
                None => params.push((key.clone(), value.clone())),
            }
        }
        let mut url = api.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.query_pairs_mut().extend_pairs(params.iter());
        Step::Fetch(SourceRequest {
            url: url.into(),
            headers: vec![("Api-User-Agent".to_string(), API_USER_AGENT.to_string())],
        })
    }

    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<SourcePage, SourceError> {
        check_status(SERVICE, status, retry_after)?;
        let answer: Value = parse_json(SERVICE, body)?;
        let Value::Object(answer) = answer else {
            return Err(SourceError::Malformed {
                service: SERVICE,
                detail: "it is not a JSON object".into(),
            });
        };
        if let Some(error) = answer.get("error") {
            return Err(api_error(error, status, retry_after));
        }
        let base = self.api.as_ref().ok();
        let mut notices = Vec::new();
        let candidates = match answer.get("query").and_then(|q| q.get("pages")) {
            Some(pages) => read_pages(pages, base, &mut notices),
            None => Vec::new(),
        };
        match answer.get("continue") {
            Some(Value::Object(cont)) if !cont.is_empty() => {
                self.continuation = cont
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Array(_) | Value::Object(_) => v.to_string(),
                            scalar => value_text(scalar),
                        };
                        (k.clone(), v)
                    })
                    .collect();
            }
            _ => {
                self.continuation.clear();
                self.done = true;
            }
        }
        Ok(SourcePage {
            candidates,
            total: None,
            notices,
        })
    }
}

/// A MediaWiki `{"error": {"code", "info"}}` as a sentence. Rate limiting,
/// replication lag and read-only mode are marked transient (429, 503).
fn api_error(error: &Value, status: u16, retry_after: Option<&str>) -> SourceError {
    let code = error.get("code").map(value_text).unwrap_or_default();
    let info = error
        .get("info")
        .map(|i| plain(&value_text(i)))
        .unwrap_or_default();
    let status = match code.as_str() {
        "ratelimited" => 429,
        "maxlag" | "readonly" => 503,
        c if c.starts_with("internal_api_error") => 500,
        _ => status,
    };
    let said = match (info.is_empty(), code.is_empty()) {
        (false, _) => sentence(&info),
        (true, false) => format!("error code “{code}”."),
        (true, true) => "no reason given.".to_string(),
    };
    let mut message = format!("Wikimedia Commons could not run the search: {said}");
    if matches!(status, 408 | 429 | 500..=599) {
        message.push_str(" Trying again later may work.");
    }
    SourceError::Http {
        status,
        message,
        retry_after: super::shared::carry_retry_after(retry_after),
    }
}

/// Candidates from `query.pages` (an object keyed by page id in
/// formatversion 1, a list in formatversion 2), ordered by search rank.
fn read_pages(pages: &Value, base: Option<&Url>, notices: &mut Vec<String>) -> Vec<Candidate> {
    let values: Vec<&Value> = match pages {
        Value::Object(map) => map.values().collect(),
        Value::Array(list) => list.iter().collect(),
        _ => Vec::new(),
    };
    let mut records: Vec<(u64, usize, PageRecord)> = values
        .into_iter()
        .enumerate()
        .filter_map(|(i, v)| match v {
            Value::Object(_) => PageRecord::deserialize(v)
                .ok()
                .map(|p| (p.index.unwrap_or(u64::MAX), i, p)),
            _ => None,
        })
        .collect();
    records.sort_by_key(|(index, i, _)| (*index, *i));
    let mut candidates = Vec::with_capacity(records.len());
    for (_, _, page) in records {
        let shown = if page.title.trim().is_empty() {
            "A result".to_string()
        } else {
            format!("“{}”", page.title.trim())
        };
        let info = match &page.imageinfo {
            Value::Array(list) => list.first().and_then(|v| ImageInfo::deserialize(v).ok()),
            _ => None,
        };
        let Some(info) = info else {
            notices.push(format!("{shown} has no image information; skipped."));
            continue;
        };
        let Some(url) = absolute_http(&info.url, base) else {
            notices.push(format!("{shown} has no http(s) image URL; skipped."));
            continue;
        };
        let meta = match &info.extmetadata {
            Value::Object(map) => Some(map),
            _ => None,
        };
        let field = |name: &str| meta.map(|m| meta_value(m, name)).unwrap_or_default();
        let mut title = plain(&field("ObjectName"));
        if title.is_empty() {
            title = title_from_page(&page.title);
        }
        let mut creator = plain(&field("Artist"));
        if creator.is_empty() {
            creator = plain(&field("Credit"));
        }
        candidates.push(Candidate {
            url,
            title,
            creator,
            license: plain(&field("LicenseShortName")),
            license_url: http_only(&plain(&field("LicenseUrl"))),
            source_page: absolute_http(&info.descriptionurl, base).unwrap_or_default(),
            provider: SERVICE.to_string(),
            caption: plain(&field("ImageDescription")),
            attribution: String::new(),
            source: String::new(),
            width: info.width,
            height: info.height,
            mime: Some(plain(&info.mime)).filter(|m| !m.is_empty()),
            bytes: info.size,
        });
    }
    candidates
}

/// An extmetadata entry's `value` as text. With `iiextmetadatamultilang` a
/// value is an object of languages: English, the default, or the first.
fn meta_value(meta: &Map<String, Value>, name: &str) -> String {
    match meta.get(name).and_then(|entry| entry.get("value")) {
        Some(Value::Object(langs)) => ["en", "_default"]
            .iter()
            .find_map(|l| langs.get(*l))
            .or_else(|| langs.values().next())
            .map(value_text)
            .unwrap_or_default(),
        Some(value) => value_text(value),
        None => String::new(),
    }
}

/// "File:Misty lake.jpg" → "Misty lake".
fn title_from_page(page_title: &str) -> String {
    let t = page_title.trim();
    let t = t
        .strip_prefix("File:")
        .or_else(|| t.strip_prefix("Image:"))
        .unwrap_or(t);
    let t = match t.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            stem
        }
        _ => t,
    };
    plain(&t.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE1: &str = include_str!("../../../tests/fixtures/commons_page1.json");
    const LAST: &str = include_str!("../../../tests/fixtures/commons_last.json");
    const EMPTY: &str = include_str!("../../../tests/fixtures/commons_empty.json");
    const ERROR: &str = include_str!("../../../tests/fixtures/commons_error.json");
    const UNICODE: &str = include_str!("../../../tests/fixtures/commons_unicode.json");
    const API: &str = "https://commons.wikimedia.org/w/api.php";

    fn fetch(step: Step) -> (Url, Vec<(String, String)>) {
        match step {
            Step::Fetch(req) => {
                let url = Url::parse(&req.url).expect("a valid URL");
                (url, req.headers)
            }
            other => panic!("expected a fetch, got {other:?}"),
        }
    }

    fn pairs(url: &Url) -> Vec<(String, String)> {
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn commons_request_has_the_exact_parameters() {
        let mut s = Commons::new(API, "misty lake & fog", 320);
        let (url, headers) = fetch(s.next(1000));
        assert_eq!(url.host_str(), Some("commons.wikimedia.org"));
        assert_eq!(url.path(), "/w/api.php");
        assert_eq!(
            pairs(&url),
            owned(&[
                ("action", "query"),
                ("generator", "search"),
                ("gsrnamespace", "6"),
                ("gsrsearch", "misty lake & fog"),
                ("gsrlimit", "50"),
                ("prop", "imageinfo"),
                ("iiprop", "url|size|mime|extmetadata"),
                ("iiurlwidth", "320"),
                ("format", "json"),
                ("origin", "*"),
            ])
        );
        assert!(
            url.as_str().contains("gsrsearch=misty+lake+%26+fog"),
            "{url}"
        );
        assert_eq!(headers, owned(&[("Api-User-Agent", API_USER_AGENT)]));
        let (url, _) = fetch(s.next(7));
        assert!(pairs(&url).contains(&("gsrlimit".to_string(), "7".to_string())));
        let (url, _) = fetch(s.next(0));
        assert!(pairs(&url).contains(&("gsrlimit".to_string(), "1".to_string())));
        let (url, _) = fetch(Commons::new(API, "x", 0).next(5));
        assert!(!pairs(&url).iter().any(|(k, _)| k == "iiurlwidth"));
    }

    #[test]
    fn commons_passes_continue_back_verbatim() {
        let mut s = Commons::new(API, "lake", 256);
        let _ = s.next(3);
        let page = s.read(200, None, PAGE1).expect("reads");
        assert_eq!(page.candidates.len(), 3);
        let (url, _) = fetch(s.next(3));
        let p = pairs(&url);
        assert!(
            p.contains(&("gsroffset".to_string(), "3".to_string())),
            "{p:?}"
        );
        assert!(
            p.contains(&("continue".to_string(), "gsroffset||".to_string())),
            "{p:?}"
        );
        assert_eq!(p.iter().filter(|(k, _)| k == "gsrsearch").count(), 1);
        // Unknown continuation keys go back too, and a key that is already a
        // parameter is replaced rather than doubled.
        let body = r#"{"continue": {"gsroffset": 6, "iicontinue": "A|B", "continue": "gsroffset||", "gsrlimit": "2"},
                       "query": {"pages": {}}}"#;
        s.read(200, None, body).expect("reads");
        let (url, _) = fetch(s.next(3));
        let p = pairs(&url);
        assert!(p.contains(&("iicontinue".to_string(), "A|B".to_string())));
        assert!(p.contains(&("gsroffset".to_string(), "6".to_string())));
        assert_eq!(
            p.iter()
                .filter(|(k, _)| k == "gsrlimit")
                .cloned()
                .collect::<Vec<_>>(),
            owned(&[("gsrlimit", "2")])
        );
    }

    #[test]
    fn commons_reads_a_page_in_rank_order() {
        let mut s = Commons::new(API, "lake", 256);
        let _ = s.next(3);
        let page = s.read(200, None, PAGE1).expect("reads");
        let titles: Vec<&str> = page.candidates.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Lake Bled from the castle",
                "Moraine Lake",
                "Lago di Braies at dawn"
            ]
        );
        let c = &page.candidates[0];
        assert_eq!(
            c.url,
            "https://upload.wikimedia.org/wikipedia/commons/6/6e/Lake_Bled_from_the_castle.jpg"
        );
        assert_eq!(
            c.source_page,
            "https://commons.wikimedia.org/wiki/File:Lake_Bled_from_the_castle.jpg"
        );
        assert_eq!(
            (c.width, c.height, c.bytes),
            (Some(4000), Some(2667), Some(3481234))
        );
        assert_eq!(c.mime.as_deref(), Some("image/jpeg"));
        assert_eq!(c.license, "CC BY-SA 4.0");
        assert_eq!(
            c.license_url,
            "https://creativecommons.org/licenses/by-sa/4.0"
        );
        assert_eq!(c.provider, "Wikimedia Commons");
        assert_eq!(c.caption, "Lake Bled & its island, seen from Bled Castle.");
        assert_eq!(page.total, None);
        assert!(page.notices.is_empty());
    }

    #[test]
    fn commons_strips_html_from_credits() {
        let mut s = Commons::new(API, "lake", 256);
        let _ = s.next(3);
        let page = s.read(200, None, PAGE1).expect("reads");
        assert_eq!(page.candidates[0].creator, "Jane O'Neil");
        // No Artist: the Credit is used.
        assert_eq!(page.candidates[1].creator, "Own work");
        // A creator with a link, a `<bdi>` and an entity; a PD license without URL.
        let c = &page.candidates[2];
        assert_eq!(c.creator, "Marco & Lucia Rossi");
        assert_eq!(c.license, "Public domain");
        assert_eq!(c.license_url, "");
        assert_eq!(
            c.caption,
            "Lago di Braies (Pragser Wildsee) at dawn. Taken on 2019-07-14."
        );
        for c in &page.candidates {
            for text in [&c.title, &c.creator, &c.license, &c.caption] {
                assert!(
                    !text.contains('<') && !text.contains("&amp;") && !text.contains("&#"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn commons_last_page_is_done() {
        let mut s = Commons::new(API, "lake", 256);
        let _ = s.next(3);
        let page = s.read(200, None, LAST).expect("reads");
        assert_eq!(page.candidates.len(), 1);
        // A file page without imageinfo (its file is missing) is skipped with a notice.
        assert_eq!(
            page.notices,
            vec!["“File:Deleted lake photo.jpg” has no image information; skipped.".to_string()]
        );
        // No ObjectName: the title comes from the page title.
        assert_eq!(page.candidates[0].title, "Crater Lake winter");
        assert_eq!(s.next(3), Step::Done);
    }

    #[test]
    fn commons_empty_result() {
        let mut s = Commons::new(API, "qqqzzzxxy", 256);
        let _ = s.next(10);
        let page = s.read(200, None, EMPTY).expect("reads");
        assert_eq!(page, SourcePage::default());
        assert_eq!(s.next(10), Step::Done);
    }

    #[test]
    fn commons_error_body_is_a_sentence() {
        let mut s = Commons::new(API, "lake", 256);
        let _ = s.next(10);
        let e = s.read(200, None, ERROR).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Wikimedia Commons could not run the search: Unrecognized value for parameter \"action\": querry."
        );
        assert!(!e.is_transient());
        let e = s
            .read(200, Some("5"), r#"{"error": {"code": "maxlag", "info": "Waiting for 10.64.48.23: 6 seconds lagged."}}"#)
            .unwrap_err();
        assert!(e.is_transient());
        assert!(matches!(&e, SourceError::Http { retry_after: Some(r), .. } if r == "5"));
        let e = s.read(403, None, "<html>Forbidden</html>").unwrap_err();
        assert_eq!(e.to_string(), "Wikimedia Commons answered 403 Forbidden.");
        let e = s.read(200, None, "{\"query\": ").unwrap_err();
        assert!(matches!(
            e,
            SourceError::Malformed {
                service: "Wikimedia Commons",
                ..
            }
        ));
        // None of that advanced the search.
        assert!(matches!(s.next(10), Step::Fetch(_)));
    }

    #[test]
    fn commons_unicode_queries_go_whole_and_long_ones_fit_its_limit() {
        let gsrsearch = |step: Step| {
            let (url, _) = fetch(step);
            pairs(&url)
                .into_iter()
                .find(|(k, _)| k == "gsrsearch")
                .map(|(_, v)| v)
        };
        let q = "🌊 אגם כחול lake";
        let mut s = Commons::new(API, q, 0);
        assert_eq!(gsrsearch(s.next(10)).as_deref(), Some(q));
        let long = format!("{} lake", "🌊".repeat(400));
        let mut s = Commons::new(API, &long, 0);
        assert!(
            matches!(s.next(10), Step::Ready(page) if page.notices[0].starts_with(
                "Wikimedia Commons searches at most 300 characters; this query has 405"
            ))
        );
        let sent = gsrsearch(s.next(10)).unwrap();
        assert_eq!(sent, "🌊".repeat(300));
    }

    #[test]
    fn commons_unicode_titles() {
        let mut s = Commons::new(API, "אגם", 256);
        let (url, _) = fetch(s.next(10));
        assert!(
            url.as_str().contains("gsrsearch=%D7%90%D7%92%D7%9D"),
            "{url}"
        );
        let page = s.read(200, None, UNICODE).expect("reads");
        let titles: Vec<&str> = page.candidates.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            ["אגם הכנרת בשקיעה 🌅", "بحيرة قارون", "湖と富士山 🗻"]
        );
        assert_eq!(page.candidates[0].creator, "דנה כהן");
        assert_eq!(page.candidates[1].creator, "محمد علي");
        assert_eq!(
            page.candidates[2].url,
            "https://upload.wikimedia.org/wikipedia/commons/a/a1/%E6%B9%96.jpg"
        );
        assert_eq!(s.next(10), Step::Done);
    }

    #[test]
    fn commons_tolerates_odd_shapes() {
        let mut s = Commons::new(API, "x", 0);
        let _ = s.next(10);
        // formatversion=2 pages list, multilingual extmetadata, a protocol-relative
        // URL, a javascript: URL, an imageinfo that is not a list.
        let body = r#"{"batchcomplete": true, "query": {"pages": [
            {"pageid": 1, "title": "File:A.png", "index": 2, "imageinfo": [{"url": "//upload.wikimedia.org/a.png",
              "extmetadata": {"ImageDescription": {"value": {"de": "Ein See", "en": "A <i>lake</i>"}},
                              "CommonsMetadataExtension": {"value": 1.2, "source": "extension"}}}]},
            {"pageid": 2, "title": "File:B.png", "index": 1, "imageinfo": [{"url": "javascript:alert(1)"}]},
            {"pageid": 3, "title": "File:C.png", "index": 3, "imageinfo": {"oops": true}},
            "junk"]}}"#;
        let page = s.read(200, None, body).expect("reads");
        assert_eq!(page.candidates.len(), 1);
        assert_eq!(page.candidates[0].url, "https://upload.wikimedia.org/a.png");
        assert_eq!(page.candidates[0].caption, "A lake");
        assert_eq!(page.candidates[0].title, "A");
        assert_eq!(
            page.notices,
            vec![
                "“File:B.png” has no http(s) image URL; skipped.".to_string(),
                "“File:C.png” has no image information; skipped.".to_string(),
            ]
        );
    }

    #[test]
    fn commons_empty_query_is_a_notice() {
        let mut s = Commons::new(API, "  ", 256);
        assert!(matches!(s.next(10), Step::Ready(page) if page.notices.len() == 1));
        assert_eq!(s.next(10), Step::Done);
    }

    #[test]
    fn commons_title_fallback() {
        assert_eq!(title_from_page("File:Misty lake.jpg"), "Misty lake");
        assert_eq!(title_from_page("File:Misty_lake.JPEG"), "Misty lake");
        assert_eq!(title_from_page("File:v1.2 release"), "v1.2 release");
        assert_eq!(title_from_page("File:.jpg"), ".jpg");
    }
}
