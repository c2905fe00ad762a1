//! A published catalog: one JSON file listing images in the local source's
//! item shape, `{"name": "…", "images": [items]}` (a bare `[items]` array is
//! accepted too). [`Catalog`] makes one request for it, reads every item, and
//! is done. Relative image URLs are resolved against the catalog's own URL.

use serde_json::Value;
use url::Url;

use super::local::read_items;
use super::shared::{check_status, notice_page, parse_base, parse_json, value_text};
use super::text::clean;
use super::{Source, SourceError, SourcePage, SourceRequest, Step};

const SERVICE: &str = "The catalog";

/// A catalog at a URL: one request, then done.
#[derive(Clone, Debug)]
pub struct Catalog {
    url: Result<Url, String>,
    done: bool,
    /// The catalog's `name`, once read.
    name: Option<String>,
}

impl Catalog {
    /// The catalog at `url` (an http(s) URL of a JSON file).
    pub fn new(url: &str) -> Self {
        Catalog {
            url: parse_base("a catalog", url),
            done: false,
            name: None,
        }
    }

    /// The catalog's `name`, once its answer has been read (empty if it has none).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl Source for Catalog {
    fn next(&mut self, _wanted: usize) -> Step {
        if self.done {
            return Step::Done;
        }
        match &self.url {
            Ok(url) => Step::Fetch(SourceRequest {
                url: url.as_str().to_string(),
                headers: Vec::new(),
            }),
            Err(notice) => {
                self.done = true;
                Step::Ready(notice_page(notice.clone()))
            }
        }
    }

    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<SourcePage, SourceError> {
        let service = match &self.url {
            Ok(url) => format!("The catalog server {}", url.host_str().unwrap_or_default()),
            Err(_) => "The catalog server".to_string(),
        };
        check_status(&service, status, retry_after)?;
        let answer: Value = parse_json(SERVICE, body)?;
        let (name, images) = match &answer {
            Value::Array(images) => (String::new(), images.as_slice()),
            Value::Object(o) => match o.get("images") {
                Some(Value::Array(images)) => (
                    o.get("name")
                        .map(|n| clean(&value_text(n)))
                        .unwrap_or_default(),
                    images.as_slice(),
                ),
                _ => {
                    return Err(SourceError::Malformed {
                        service: SERVICE,
                        detail: "it has no \"images\" list".into(),
                    })
                }
            },
            _ => {
                return Err(SourceError::Malformed {
                    service: SERVICE,
                    detail: "it is not a JSON object".into(),
                })
            }
        };
        let base = self.url.as_ref().ok();
        let provider = if name.is_empty() {
            base.and_then(|u| u.host_str())
                .unwrap_or("catalog")
                .to_string()
        } else {
            name.clone()
        };
        let mut notices = Vec::new();
        let candidates = read_items(images, 1, base, &provider, &mut notices);
        self.done = true;
        self.name = Some(name);
        Ok(SourcePage {
            candidates,
            total: Some(images.len() as u64),
            notices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = include_str!("../../../tests/fixtures/catalog.json");
    const URL: &str = "http://127.0.0.1:8765/catalog.json?q=lake&max=3";

    #[test]
    fn catalog_one_request_then_done() {
        let mut c = Catalog::new(URL);
        assert_eq!(
            c.next(5),
            Step::Fetch(SourceRequest {
                url: URL.to_string(),
                headers: Vec::new()
            })
        );
        let page = c.read(200, None, CATALOG).expect("reads");
        assert_eq!(c.next(5), Step::Done);
        assert_eq!(c.name(), Some("Local demo catalog"));
        assert_eq!(page.total, Some(4));
        // All items are given, whatever `wanted` was: the collector takes what it needs.
        assert_eq!(page.candidates.len(), 3);
        let first = &page.candidates[0];
        assert_eq!(first.url, "http://127.0.0.1:8765/images/12.jpg");
        assert_eq!(first.title, "Misty lake");
        assert_eq!(first.provider, "Local demo catalog");
        assert_eq!(first.license, "CC BY 4.0");
        assert_eq!(first.bytes, Some(123456));
        assert_eq!(
            page.notices,
            vec!["Item 4 has no http(s) image URL; skipped.".to_string()]
        );
    }

    #[test]
    fn catalog_resolves_relative_urls_and_keeps_unicode() {
        let mut c = Catalog::new(URL);
        let page = c.read(200, None, CATALOG).expect("reads");
        let second = &page.candidates[1];
        assert_eq!(
            second.url,
            "http://127.0.0.1:8765/images/%D7%90%D7%92%D7%9D.png"
        );
        assert_eq!(second.title, "אגם בערפל 🌫️");
        assert_eq!(second.creator, "دانة");
    }

    #[test]
    fn catalog_accepts_a_bare_array() {
        let mut c = Catalog::new("https://example.org/list.json");
        let page = c
            .read(200, None, r#"[{"url": "img/a.jpg"}]"#)
            .expect("reads");
        assert_eq!(page.candidates[0].url, "https://example.org/img/a.jpg");
        assert_eq!(page.candidates[0].provider, "example.org");
    }

    #[test]
    fn catalog_errors_are_sentences() {
        let mut c = Catalog::new(URL);
        let e = c.read(404, None, "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The catalog server 127.0.0.1 answered 404 Not Found."
        );
        assert_eq!(
            c.next(1),
            Step::Fetch(SourceRequest {
                url: URL.to_string(),
                headers: Vec::new()
            })
        );
        let e = c.read(200, None, r#"{"name": "x"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The catalog sent an answer this app cannot read: it has no \"images\" list."
        );
        let e = c.read(200, None, "not json").unwrap_err();
        assert!(matches!(
            e,
            SourceError::Malformed {
                service: "The catalog",
                ..
            }
        ));
    }

    #[test]
    fn catalog_bad_url_is_a_notice() {
        let mut c = Catalog::new("ftp://example.org/c.json");
        assert!(matches!(c.next(1), Step::Ready(page) if page.notices.len() == 1));
        assert_eq!(c.next(1), Step::Done);
    }
}
