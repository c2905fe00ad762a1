//! The shapes of the answers: the shared item JSON, the search page, the
//! published catalog, the URL lists, the MediaWiki (Wikimedia Commons) and
//! Openverse look-alike answers, and the HTML description page. Pure
//! functions of the catalogue entries, their sizes and the base URL.

use serde_json::{json, Map, Value};

use crate::library::{ImageMeta, License};

/// One library image with its exact file size.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub meta: &'a ImageMeta,
    pub bytes: u64,
}

/// The base URL of each image of a list: the one the request came to, or,
/// with `hosts=K`, the i-th image of the list (from 0) on
/// `http://127.0.0.(1 + i mod K):PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bases {
    One(String),
    Spread { hosts: u8, port: u16 },
}

impl Bases {
    /// The base URL of the `i`-th image of the list.
    pub fn at(&self, i: usize) -> String {
        match self {
            Bases::One(base) => base.clone(),
            Bases::Spread { hosts, port } => {
                let k = 1 + i % usize::from((*hosts).max(1));
                format!("http://127.0.0.{k}:{port}")
            }
        }
    }
}

/// `http://host/images/12.jpg`
pub fn image_url(base: &str, meta: &ImageMeta) -> String {
    format!("{base}/images/{}", meta.file_name())
}

/// `http://host/pages/12`
pub fn page_url(base: &str, meta: &ImageMeta) -> String {
    format!("{base}/pages/{}", meta.id)
}

/// The item shared by search and catalog.
pub fn item(base: &str, e: Entry) -> Value {
    let m = e.meta;
    json!({
        "id": m.id,
        "url": image_url(base, m),
        "title": m.title,
        "tags": m.tags,
        "creator": m.creator,
        "license": m.license.short_name(),
        "license_url": m.license.url(),
        "source_page": page_url(base, m),
        "width": m.width,
        "height": m.height,
        "mime": m.format.mime(),
        "bytes": e.bytes,
    })
}

/// The `/api/search` answer.
pub fn search_page(base: &str, total: usize, page: u64, per_page: u64, entries: &[Entry]) -> Value {
    json!({
        "total": total,
        "page": page,
        "per_page": per_page,
        "images": entries.iter().map(|e| item(base, *e)).collect::<Vec<_>>(),
    })
}

/// The `/catalog.json` answer.
pub fn catalog(bases: &Bases, entries: &[Entry]) -> Value {
    json!({
        "name": "Local demo catalog",
        "images": entries
            .iter()
            .enumerate()
            .map(|(i, e)| item(&bases.at(i), *e))
            .collect::<Vec<_>>(),
    })
}

/// `/api/urls.txt`: one URL a line.
pub fn urls_txt(bases: &Bases, metas: &[&ImageMeta]) -> String {
    metas
        .iter()
        .enumerate()
        .map(|(i, m)| image_url(&bases.at(i), m) + "\n")
        .collect()
}

/// Quotes a CSV field per RFC 4180.
pub fn csv_quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// `/api/urls.csv`: a `url,caption` header, then the URL and quoted title.
pub fn urls_csv(bases: &Bases, metas: &[&ImageMeta]) -> String {
    let mut out = String::from("url,caption\n");
    for (i, m) in metas.iter().enumerate() {
        out.push_str(&image_url(&bases.at(i), m));
        out.push(',');
        out.push_str(&csv_quote(&m.title));
        out.push('\n');
    }
    out
}

/// Escapes text for HTML.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn meta_field(value: impl Into<Value>, source: &str) -> Value {
    json!({"value": value.into(), "source": source})
}

/// A MediaWiki search request, already checked.
pub struct WikiRequest {
    pub offset: usize,
    pub limit: usize,
    pub thumb_width: Option<u32>,
}

/// The MediaWiki `action=query&generator=search&prop=imageinfo` answer
/// (formatversion 1) for the entries of one page of a result of `total`.
pub fn mediawiki(base: &str, req: &WikiRequest, total: usize, entries: &[Entry]) -> Value {
    let mut answer = Map::new();
    answer.insert("batchcomplete".into(), json!(""));
    let next = req.offset + req.limit;
    if next < total {
        answer.insert(
            "continue".into(),
            json!({"gsroffset": next, "continue": "gsroffset||"}),
        );
    }
    if entries.is_empty() {
        return Value::Object(answer);
    }
    let mut pages = Map::new();
    for (i, e) in entries.iter().enumerate() {
        let m = e.meta;
        let pageid = 1_000_000 + m.id as u64;
        let url = image_url(base, m);
        let page = page_url(base, m);
        let mut info = Map::new();
        info.insert("size".into(), json!(e.bytes));
        info.insert("width".into(), json!(m.width));
        info.insert("height".into(), json!(m.height));
        if let Some(tw) = req.thumb_width {
            let tw = tw.clamp(1, m.width);
            let th = ((m.height as f64 * tw as f64 / m.width as f64).round() as u32).max(1);
            info.insert("thumburl".into(), json!(url));
            info.insert("thumbwidth".into(), json!(tw));
            info.insert("thumbheight".into(), json!(th));
        }
        info.insert("url".into(), json!(url));
        info.insert("descriptionurl".into(), json!(page));
        info.insert("descriptionshorturl".into(), json!(page));
        info.insert("mime".into(), json!(m.format.mime()));
        info.insert(
            "extmetadata".into(),
            json!({
                "ObjectName": meta_field(m.title.clone(), "original-data-document"),
                "Artist": meta_field(
                    format!("<a href=\"{page}\">{}</a>", html_escape(&m.creator)),
                    "commons-desc-page"),
                "Credit": meta_field(
                    "<span class=\"int-own-work\">Own work</span>", "commons-desc-page"),
                "LicenseShortName": meta_field(m.license.short_name(), "commons-desc-page"),
                "LicenseUrl": meta_field(m.license.url(), "commons-desc-page"),
                "ImageDescription": meta_field(m.tags.join(", "), "commons-desc-page"),
            }),
        );
        pages.insert(
            pageid.to_string(),
            json!({
                "pageid": pageid,
                "ns": 6,
                "title": format!("File:{}.{}", m.title, m.format.ext()),
                "index": req.offset + i + 1,
                "imagerepository": "local",
                "imageinfo": [Value::Object(info)],
            }),
        );
    }
    answer.insert("query".into(), json!({"pages": pages}));
    Value::Object(answer)
}

/// A MediaWiki error answer.
pub fn mediawiki_error(code: &str, info: &str) -> Value {
    json!({"error": {"code": code, "info": info, "*": "See the local source README for the accepted parameters."}})
}

/// The Openverse-style id of an image: a fixed UUID ending in the id in hex.
pub fn openverse_id(id: u32) -> String {
    format!("00000000-0000-4000-8000-{id:012x}")
}

fn attribution(m: &ImageMeta) -> String {
    match m.license {
        License::Cc0 => format!(
            "\"{}\" by {} is marked with CC0 1.0. To view the terms, visit {}.",
            m.title,
            m.creator,
            m.license.url()
        ),
        _ => format!(
            "\"{}\" by {} is licensed under {}. To view a copy of this license, visit {}.",
            m.title,
            m.creator,
            m.license.short_name(),
            m.license.url()
        ),
    }
}

/// The Openverse `/v1/images/` answer.
pub fn openverse(
    base: &str,
    total: usize,
    page_count: usize,
    page_size: usize,
    page: usize,
    entries: &[Entry],
) -> Value {
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            let m = e.meta;
            let url = image_url(base, m);
            json!({
                "id": openverse_id(m.id),
                "title": m.title,
                "indexed_on": "2024-01-01T00:00:00Z",
                "foreign_landing_url": page_url(base, m),
                "url": url,
                "creator": m.creator,
                "creator_url": null,
                "license": m.license.code(),
                "license_version": m.license.version(),
                "license_url": m.license.url(),
                "provider": "local",
                "source": "local",
                "category": "photograph",
                "filesize": e.bytes,
                "filetype": m.format.ext(),
                "tags": m.tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>(),
                "attribution": attribution(m),
                "mature": false,
                "height": m.height,
                "width": m.width,
                "thumbnail": url,
            })
        })
        .collect();
    json!({
        "result_count": total,
        "page_count": page_count,
        "page_size": page_size,
        "page": page,
        "results": results,
    })
}

/// The HTML description page of an image.
pub fn description_page(base: &str, e: Entry) -> String {
    let m = e.meta;
    let title = html_escape(&m.title);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n\
         <h1>{title}</h1>\n\
         <p><img src=\"{url}\" alt=\"{title}\" width=\"{w}\" height=\"{h}\" style=\"max-width:100%;height:auto\"></p>\n\
         <p>Creator: <span class=\"creator\">{creator}</span></p>\n\
         <p>License: <a class=\"license\" href=\"{lurl}\">{lname}</a></p>\n\
         <p>Tags: {tags}</p>\n\
         <p>{w} × {h} pixels, {mime}, {bytes} bytes.</p>\n</body></html>\n",
        url = image_url(base, m),
        w = m.width,
        h = m.height,
        creator = html_escape(&m.creator),
        lurl = m.license.url(),
        lname = m.license.short_name(),
        tags = html_escape(&m.tags.join(", ")),
        mime = m.format.mime(),
        bytes = e.bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_bases_go_round_the_hosts_in_list_order() {
        let spread = Bases::Spread { hosts: 3, port: 80 };
        let hosts: Vec<String> = (0..7).map(|i| spread.at(i)).collect();
        assert_eq!(
            hosts,
            [1, 2, 3, 1, 2, 3, 1].map(|k| format!("http://127.0.0.{k}:80"))
        );
        assert_eq!(Bases::One("http://h:1".into()).at(5), "http://h:1");
    }

    #[test]
    fn csv_fields_are_quoted_with_doubled_quotes() {
        assert_eq!(csv_quote("a, \"b\""), "\"a, \"\"b\"\"\"");
    }

    #[test]
    fn openverse_ids_end_in_the_image_id() {
        assert_eq!(openverse_id(12), "00000000-0000-4000-8000-00000000000c");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("<a&\"'>"), "&lt;a&amp;&quot;&#39;&gt;");
    }
}
