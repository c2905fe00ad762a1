//! The endpoint handlers: read and check the query, pick the matching
//! catalogue entries, learn their sizes from the store, and answer in the
//! shape of [`crate::shapes`]. A bad parameter gets a 400 with a sentence.

// Helpers return the finished error answer as their `Err`; it is sent at
// once, so its size on the stack does not matter.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::faults::{self, Fault, FaultKind};
use crate::library::{Format, ImageMeta, License};
use crate::shapes::{self, Bases, Entry};
use crate::App;

/// The query parameters of one request, decoded.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `a=1&b=x%20y`.
    pub fn from_uri(uri: &Uri) -> Params {
        let q = uri.query().unwrap_or("");
        Params(form_urlencoded::parse(q.as_bytes()).into_owned().collect())
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole-number parameter at least `min`, or `default` when absent or empty.
    pub fn number(&self, name: &str, default: u64, min: u64) -> Result<u64, String> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n >= min => Ok(n),
                _ => Err(format!(
                    "The {name} parameter must be a whole number from {min}, not \"{v}\"."
                )),
            },
        }
    }

    /// An optional whole-number parameter.
    pub fn optional_number(&self, name: &str) -> Result<Option<u64>, String> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(_) => self.number(name, 0, 0).map(Some),
        }
    }
}

pub(crate) fn plain(status: StatusCode, message: impl Into<String>) -> Response {
    let mut message = message.into();
    message.push('\n');
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

fn bad_request(message: String) -> Response {
    plain(StatusCode::BAD_REQUEST, message)
}

pub(crate) fn json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

fn server_error(message: String) -> Response {
    plain(StatusCode::INTERNAL_SERVER_ERROR, message)
}

/// `http://host:port` from the request's Host header (or the bound address).
pub(crate) fn base_url(headers: &HeaderMap, fallback: SocketAddr) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
        });
    match host {
        Some(h) => format!("http://{h}"),
        None => format!("http://{fallback}"),
    }
}

/// The base URLs of a list's images: with `hosts=K` (1 ..= `--hosts`), the
/// i-th image of the list on 127.0.0.(1 + i mod K), same port; otherwise
/// the Host the request came to.
fn list_bases(app: &App, headers: &HeaderMap, p: &Params) -> Result<Bases, String> {
    let n = app.config.hosts;
    match p.get("hosts").map(str::trim) {
        None | Some("") => Ok(Bases::One(base_url(headers, app.addr))),
        Some(v) => match v.parse::<u8>() {
            Ok(k) if (1..=n).contains(&k) => Ok(Bases::Spread {
                hosts: k,
                port: app.addr.port(),
            }),
            _ => Err(format!(
                "The hosts parameter must be a whole number from 1 to {n} (the server listens on {}), not \"{v}\".",
                if n == 1 {
                    "127.0.0.1 only; start it with --hosts N for more".to_string()
                } else {
                    format!("127.0.0.1 to 127.0.0.{n}: --hosts {n}")
                }
            )),
        },
    }
}

/// Looks up the sizes of some catalogue entries.
pub(crate) async fn entries<'a>(
    app: &App,
    metas: &[&'a ImageMeta],
) -> Result<Vec<Entry<'a>>, Response> {
    let ids: Vec<u32> = metas.iter().map(|m| m.id).collect();
    let sizes = app.store.sizes(&ids).await.map_err(server_error)?;
    Ok(metas
        .iter()
        .zip(sizes)
        .map(|(meta, bytes)| Entry { meta, bytes })
        .collect())
}

fn page_slice<T: Copy>(all: &[T], start: u64, len: u64) -> Vec<T> {
    let start = usize::try_from(start).unwrap_or(usize::MAX).min(all.len());
    let end = start
        .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .min(all.len());
    all[start..end].to_vec()
}

/// `/api/search?q=&page=&per_page=`
pub async fn search(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    let page = match p.number("page", 1, 1) {
        Ok(n) => n,
        Err(e) => return bad_request(e),
    };
    let per_page = match p.number("per_page", 50, 1) {
        Ok(n) => n.min(100),
        Err(e) => return bad_request(e),
    };
    app.stats.saw_query(p.get("q").unwrap_or(""));
    let lib = app.store.library();
    let matches = lib.search(p.get("q").unwrap_or(""));
    let start = (page - 1).saturating_mul(per_page);
    let metas = page_slice(&matches, start, per_page);
    let entries = match entries(&app, &metas).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let base = base_url(&headers, app.addr);
    json(
        StatusCode::OK,
        &shapes::search_page(&base, matches.len(), page, per_page, &entries),
    )
}

fn matches_up_to<'a>(app: &'a App, p: &Params) -> Result<Vec<&'a ImageMeta>, String> {
    let max = p.optional_number("max")?;
    let min_side = p.number("min_side", 0, 0)?;
    let mut matches = app.store.library().search(p.get("q").unwrap_or(""));
    matches.retain(|m| u64::from(m.width.max(m.height)) >= min_side);
    if let Some(max) = max {
        matches.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    }
    Ok(matches)
}

/// `/catalog.json?q=&max=&min_side=&hosts=`
pub async fn catalog(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    let (metas, bases) = match (matches_up_to(&app, &p), list_bases(&app, &headers, &p)) {
        (Ok(m), Ok(b)) => (m, b),
        (Err(e), _) | (_, Err(e)) => return bad_request(e),
    };
    let entries = match entries(&app, &metas).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    json(StatusCode::OK, &shapes::catalog(&bases, &entries))
}

/// `/api/urls.txt?q=&max=&min_side=&latency_ms=&hosts=`
/// With `latency_ms=N`, each listed URL asks for that wait (the image
/// route's own parameter), so one library serves slow and fast lists.
/// With `hosts=K`, the list goes round 127.0.0.1 … 127.0.0.K.
pub async fn urls_txt(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    let bases = match list_bases(&app, &headers, &p) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    match (matches_up_to(&app, &p), p.number("latency_ms", 0, 0)) {
        (Ok(metas), Ok(latency)) => {
            let mut txt = shapes::urls_txt(&bases, &metas);
            if latency > 0 {
                txt = txt
                    .lines()
                    .map(|url| format!("{url}?latency_ms={latency}\n"))
                    .collect();
            }
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], txt).into_response()
        }
        (Err(e), _) | (_, Err(e)) => bad_request(e),
    }
}

/// `/api/urls.csv?q=&max=&min_side=&hosts=`
pub async fn urls_csv(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    match (matches_up_to(&app, &p), list_bases(&app, &headers, &p)) {
        (Ok(metas), Ok(bases)) => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            shapes::urls_csv(&bases, &metas),
        )
            .into_response(),
        (Err(e), _) | (_, Err(e)) => bad_request(e),
    }
}

/// Finds the image named by `12.jpg`, or the 404 answer.
fn find_image<'a>(app: &'a App, file: &str) -> Result<&'a ImageMeta, Response> {
    let missing = || {
        plain(
            StatusCode::NOT_FOUND,
            format!("There is no image file \"{file}\" in this library."),
        )
    };
    let (id, ext) = file.rsplit_once('.').ok_or_else(missing)?;
    let id: u32 = id.parse().map_err(|_| missing())?;
    let meta = app.store.library().get(id).ok_or_else(missing)?;
    if ext != meta.format.ext() {
        return Err(plain(
            StatusCode::NOT_FOUND,
            format!(
                "Image {id} is a {} file; its address ends in /images/{}.",
                meta.format.name(),
                meta.file_name()
            ),
        ));
    }
    Ok(meta)
}

/// The fault a request asks for with `fault=…`, if any.
fn requested_fault(p: &Params) -> Result<Option<Fault>, String> {
    let Some(name) = p.get("fault") else {
        return Ok(None);
    };
    let kind = FaultKind::parse(name)?;
    let retry_after = p.number("retry_after", 1, 0)?.min(86_400);
    let as_date = match p.get("retry_after_date").map(str::trim) {
        None | Some("") | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => {
            return Err(format!(
                "The retry_after_date parameter must be 1 or 0, not \"{other}\"."
            ))
        }
    };
    Ok(Some(Fault {
        kind,
        retry_after,
        retry_after_as_date: as_date,
    }))
}

/// `/images/{id}.{ext}` with optional `latency_ms`, `fault`, `retry_after`,
/// `retry_after_date`.
pub async fn image(State(app): State<Arc<App>>, Path(file): Path<String>, uri: Uri) -> Response {
    let meta = match find_image(&app, &file) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let p = Params::from_uri(&uri);
    let (latency, requested) = match (p.number("latency_ms", 0, 0), requested_fault(&p)) {
        (Ok(l), Ok(f)) => (l.min(600_000), f),
        (Err(e), _) | (_, Err(e)) => return bad_request(e),
    };
    let nth = app.stats.count_image(meta.id);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let planned = if nth == 1 {
        faults::planned(
            app.config.library.seed,
            meta.id,
            app.config.fault_rate,
            &app.config.faults,
        )
        .map(Fault::plain)
    } else {
        None
    };
    let fault = requested.or(planned);
    if let Some(f) = &fault {
        if let Some(res) = faults::respond(f, &meta.file_name()) {
            return res;
        }
    }
    let bytes = match app.store.bytes(meta.id).await {
        Ok(b) => b,
        Err(e) => return server_error(e),
    };
    if fault.is_some() {
        return faults::stall(bytes, meta.format.mime());
    }
    let len = bytes.len() as u64;
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(meta.format.mime()),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    res
}

/// `/pages/{id}`: the HTML description page.
pub async fn page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(meta) = id.parse().ok().and_then(|id| app.store.library().get(id)) else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("There is no image \"{id}\" in this library."),
        );
    };
    let bytes = match app.store.size(meta.id).await {
        Ok(n) => n,
        Err(e) => return server_error(e),
    };
    let html = shapes::description_page(&base_url(&headers, app.addr), Entry { meta, bytes });
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn wiki_error(code: &str, info: String) -> Response {
    json(StatusCode::OK, &shapes::mediawiki_error(code, &info))
}

fn wiki_integer(p: &Params, name: &str) -> Result<Option<u64>, Response> {
    match p.get(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
            wiki_error(
                "badinteger",
                format!("Invalid value \"{v}\" for integer parameter \"{name}\"."),
            )
        }),
    }
}

/// `/w/api.php`: MediaWiki `action=query&generator=search&prop=imageinfo`.
pub async fn mediawiki(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    match p.get("action") {
        Some("query") => {}
        Some(other) => {
            return wiki_error(
                "badvalue",
                format!("Unrecognized value for parameter \"action\": {other}."),
            )
        }
        None => {
            return wiki_error(
                "badvalue",
                "The \"action\" parameter must be set; this server answers action=query.".into(),
            )
        }
    }
    if p.get("generator") != Some("search") {
        return wiki_error(
            "badvalue",
            format!(
                "Unrecognized value for parameter \"generator\": {}; this server answers generator=search.",
                p.get("generator").unwrap_or("(none)")
            ),
        );
    }
    let Some(query) = p.get("gsrsearch") else {
        return wiki_error(
            "missingparam",
            "The \"gsrsearch\" parameter must be set.".into(),
        );
    };
    app.stats.saw_query(query);
    let length = query.chars().count();
    if length > MEDIAWIKI_MAX_QUERY_CHARS {
        return wiki_error(
            "cirrussearch-query-too-long",
            format!(
                "Search request is longer than the maximum allowed length. ({length} > {MEDIAWIKI_MAX_QUERY_CHARS})"
            ),
        );
    }
    let limit = if p.get("gsrlimit") == Some("max") {
        50
    } else {
        match wiki_integer(&p, "gsrlimit") {
            Ok(l) => l.unwrap_or(10).clamp(1, 50),
            Err(r) => return r,
        }
    };
    let offset = match wiki_integer(&p, "gsroffset") {
        Ok(o) => o.unwrap_or(0),
        Err(r) => return r,
    };
    let thumb_width = match wiki_integer(&p, "iiurlwidth") {
        Ok(w) => w.map(|w| w.min(u32::MAX as u64) as u32),
        Err(r) => return r,
    };
    let matches = app.store.library().search(query);
    let metas = page_slice(&matches, offset, limit);
    let entries = match entries(&app, &metas).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let req = shapes::WikiRequest {
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit: limit as usize,
        thumb_width,
    };
    let base = base_url(&headers, app.addr);
    json(
        StatusCode::OK,
        &shapes::mediawiki(&base, &req, matches.len(), &entries),
    )
}

fn openverse_error(status: StatusCode, detail: String) -> Response {
    json(status, &serde_json::json!({ "detail": detail }))
}

/// CirrusSearch's longest query (`$wgCirrusSearchMaxFullTextQueryLength`), in characters.
const MEDIAWIKI_MAX_QUERY_CHARS: usize = 300;
/// Openverse's longest `q`, in characters.
const OPENVERSE_MAX_QUERY_CHARS: usize = 200;

/// Openverse caps anonymous paging at this many results in all.
const OPENVERSE_MAX_RESULTS: u64 = 240;

/// `/v1/images/`: Openverse search with its anonymous limits.
pub async fn openverse(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::from_uri(&uri);
    let (page, page_size) = match (p.number("page", 1, 1), p.number("page_size", 20, 1)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return openverse_error(StatusCode::BAD_REQUEST, e),
    };
    if page_size > 20 || page > 20 {
        return openverse_error(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided. Anonymous requests may ask for at most 20 results a page and at most 20 pages.".into(),
        );
    }
    let query = p.get("q").unwrap_or("");
    app.stats.saw_query(query);
    if query.chars().count() > OPENVERSE_MAX_QUERY_CHARS {
        return openverse_error(
            StatusCode::BAD_REQUEST,
            format!(
                "q: Ensure this field has no more than {OPENVERSE_MAX_QUERY_CHARS} characters."
            ),
        );
    }
    let mut licenses = Vec::new();
    for code in p.get("license").unwrap_or("").split(',').map(str::trim) {
        match code.to_ascii_lowercase().as_str() {
            "" => {}
            "cc0" => licenses.push(License::Cc0),
            "by" => licenses.push(License::By),
            "by-sa" => licenses.push(License::BySa),
            other => {
                return openverse_error(
                    StatusCode::BAD_REQUEST,
                    format!("The license \"{other}\" is not one of cc0, by, by-sa."),
                )
            }
        }
    }
    let mut formats = Vec::new();
    for ext in p.get("extension").unwrap_or("").split(',').map(str::trim) {
        if ext.is_empty() {
            continue;
        }
        match Format::from_name(ext) {
            Some(f) => formats.push(f),
            None => {
                return openverse_error(
                    StatusCode::BAD_REQUEST,
                    format!("The extension \"{ext}\" is not one of jpg, png, webp, gif."),
                )
            }
        }
    }
    let matches: Vec<&ImageMeta> = app
        .store
        .library()
        .search(query)
        .into_iter()
        .filter(|m| licenses.is_empty() || licenses.contains(&m.license))
        .filter(|m| formats.is_empty() || formats.contains(&m.format))
        .collect();
    let total = matches.len() as u64;
    let page_count = total
        .div_ceil(page_size)
        .min(OPENVERSE_MAX_RESULTS / page_size);
    let metas = if page > page_count {
        Vec::new()
    } else {
        page_slice(&matches, (page - 1) * page_size, page_size)
    };
    let entries = match entries(&app, &metas).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let base = base_url(&headers, app.addr);
    json(
        StatusCode::OK,
        &shapes::openverse(
            &base,
            total as usize,
            page_count as usize,
            page_size as usize,
            page as usize,
            &entries,
        ),
    )
}

/// `/stats`
pub async fn stats(State(app): State<Arc<App>>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::to_value(app.stats.snapshot()).unwrap_or_default(),
    )
}

/// `/stats/reset`
pub async fn stats_reset(State(app): State<Arc<App>>) -> Response {
    json(
        StatusCode::OK,
        &serde_json::to_value(app.stats.reset()).unwrap_or_default(),
    )
}

/// `/`: a short page listing the endpoints.
pub async fn index(State(app): State<Arc<App>>) -> Response {
    let c = &app.config.library;
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local demo source</title></head><body>\n\
         <h1>Local demo source</h1>\n<p>{} images, seed {}, long side {}–{} px.</p>\n<ul>\n\
         <li><a href=\"/api/search?q=&amp;page=1\">/api/search?q=&amp;page=1&amp;per_page=50</a></li>\n\
         <li><a href=\"/catalog.json?max=20\">/catalog.json?q=&amp;max=20</a></li>\n\
         <li><a href=\"/api/urls.txt?max=20\">/api/urls.txt</a>, <a href=\"/api/urls.csv?max=20\">/api/urls.csv</a></li>\n\
         <li><a href=\"/w/api.php?action=query&amp;generator=search&amp;gsrnamespace=6&amp;gsrsearch=lake&amp;prop=imageinfo&amp;format=json\">/w/api.php</a> (MediaWiki)</li>\n\
         <li><a href=\"/v1/images/?q=lake\">/v1/images/</a> (Openverse)</li>\n\
         <li><a href=\"/stats\">/stats</a>, <a href=\"/stats/reset\">/stats/reset</a></li>\n</ul>\n</body></html>\n",
        c.count, c.seed, c.min_side, c.max_side
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// Any other path.
pub async fn not_found(uri: Uri) -> Response {
    plain(
        StatusCode::NOT_FOUND,
        format!(
            "There is nothing at {}; see / for the endpoints.",
            uri.path()
        ),
    )
}
