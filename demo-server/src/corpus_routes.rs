//! The `/corpus/…` handlers: each case of [`crate::corpus::CASES`] answered
//! as its `Serve` says (files made once, on first use, by `corpus_files`),
//! the published table (`expected.json`), the URL list and the catalog, and
//! `/corpus/hits`: when each case was asked for, in ms since the server
//! started, so a test can see that a client waited as `Retry-After` asked.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Path, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use crate::corpus::{self, Case, Serve};
use crate::corpus_reset::ResetHandle;
use crate::routes::{base_url, entries, json, plain, Params};
use crate::shapes;
use crate::App;

/// Marks a response that must go out without CORS headers.
#[derive(Clone, Copy, Debug)]
pub struct NoCors;

/// The corpus's state in one server: its files and who asked for what.
pub struct Corpus {
    started: Instant,
    files: OnceCell<Arc<HashMap<&'static str, Bytes>>>,
    hits: Mutex<BTreeMap<&'static str, Vec<u64>>>,
}

impl Default for Corpus {
    fn default() -> Self {
        Corpus {
            started: Instant::now(),
            files: OnceCell::new(),
            hits: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Corpus {
    fn hit(&self, name: &'static str) {
        let ms = self.started.elapsed().as_millis() as u64;
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.entry(name).or_default().push(ms);
    }

    async fn file(&self, name: &str) -> Option<Bytes> {
        let files = self
            .files
            .get_or_init(|| async {
                let made = tokio::task::spawn_blocking(crate::corpus_files::make_all)
                    .await
                    .unwrap_or_default();
                Arc::new(made.into_iter().map(|(k, v)| (k, Bytes::from(v))).collect())
            })
            .await;
        files.get(name).cloned()
    }
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
const GIB: u64 = 1 << 30;
/// A JPEG's first bytes (SOI, then the start of a JFIF APP0 segment).
const JPEG_START: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00";

fn with_type(mut res: Response, mime: &'static str) -> Response {
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    res
}

/// `/corpus/{file}`: one image case.
pub async fn file(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    uri: Uri,
    extensions: Extensions,
) -> Response {
    let Some(case) = corpus::by_file(&file) else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("The corpus has no case \"{file}\"; see /corpus/expected.json."),
        );
    };
    app.corpus.hit(case.name);
    match case.serve {
        Serve::File(mime) => made(&app, case, mime).await,
        Serve::NoCors => {
            let mut res = made(&app, case, "image/jpeg").await;
            res.extensions_mut().insert(NoCors);
            res
        }
        Serve::HugeLength => {
            let chunks = (GIB / ZEROS.len() as u64) as usize;
            let body = stream::iter(
                (0..chunks).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(&ZEROS))),
            );
            let mut res = with_type(Response::new(Body::from_stream(body)), "image/jpeg");
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(GIB));
            res
        }
        Serve::Endless => {
            let first =
                stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(JPEG_START)) });
            let trickle = stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Some((Ok(Bytes::from_static(&ZEROS[..1024])), ()))
            });
            let body = first.chain(trickle);
            with_type(Response::new(Body::from_stream(body)), "image/jpeg")
        }
        Serve::Flood => {
            let first =
                stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(JPEG_START)) });
            let zeros = stream::repeat_with(|| Ok(Bytes::from_static(&ZEROS)));
            let body = first.chain(zeros);
            with_type(Response::new(Body::from_stream(body)), "image/jpeg")
        }
        Serve::Reset => reset(&app, case, &extensions).await,
        Serve::RedirectLoop => {
            let to = if uri.query().is_some_and(|q| q.contains("again")) {
                case.route.to_string()
            } else {
                format!("{}?again", case.route)
            };
            let mut res = plain(StatusCode::FOUND, format!("Moved to {to}."));
            res.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_str(&to).unwrap_or(HeaderValue::from_static("/")),
            );
            res
        }
        Serve::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            plain(
                status,
                format!(
                    "{code} {}: the corpus case \"{}\".",
                    status.canonical_reason().unwrap_or(""),
                    case.name
                ),
            )
        }
        Serve::TooMany { date } => {
            let value = if date {
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3))
            } else {
                "2".to_string()
            };
            let mut res = plain(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many requests: try again after {value}."),
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Serve::Malformed | Serve::NoResults => plain(StatusCode::NOT_FOUND, "Not an image case."),
    }
}

async fn made(app: &App, case: &Case, mime: &'static str) -> Response {
    match app.corpus.file(case.file()).await {
        Some(bytes) => {
            let len = bytes.len() as u64;
            let mut res = with_type(Response::new(Body::from(bytes)), mime);
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            res
        }
        None => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The corpus file {} could not be made.", case.file()),
        ),
    }
}

/// Half the file under its whole Content-Length, then a TCP reset.
async fn reset(app: &App, case: &Case, extensions: &Extensions) -> Response {
    let Some(bytes) = app.corpus.file(case.file()).await else {
        return plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The corpus file is missing.",
        );
    };
    let handle = extensions
        .get::<ConnectInfo<ResetHandle>>()
        .map(|ConnectInfo(h)| h.clone());
    let total = bytes.len() as u64;
    let half = bytes.slice(..bytes.len() / 2);
    let body = stream::once(async move { Ok(half) }).chain(stream::once(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        if let Some(h) = handle {
            h.arm();
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the corpus resets this connection",
        ))
    }));
    let mut res = with_type(Response::new(Body::from_stream(body)), "image/jpeg");
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    res
}

/// `/corpus/provider/malformed/{*rest}`: JSON cut off mid-way, whatever the path.
pub async fn provider_malformed(State(app): State<Arc<App>>) -> Response {
    app.corpus.hit("provider-malformed-json");
    let body = r#"{"batchcomplete": "", "query": {"pages": {"1000001": {"pageid": 1000001, "ns": 6, "title": "File:Cut"#;
    with_type(
        (StatusCode::OK, body).into_response(),
        "application/json; charset=utf-8",
    )
}

/// `/corpus/provider/empty/{*rest}`: a valid answer with no results, in the
/// shape the path asks for (MediaWiki, Openverse, the local search, a catalog).
pub async fn provider_empty(
    State(app): State<Arc<App>>,
    rest: Option<Path<String>>,
    headers: HeaderMap,
) -> Response {
    app.corpus.hit("provider-no-results");
    let rest = rest.map(|Path(r)| r).unwrap_or_default();
    let value = if rest.ends_with("api.php") {
        json!({ "batchcomplete": "" })
    } else if rest.starts_with("v1/images") {
        shapes::openverse(&base_url(&headers, app.addr), 0, 0, 20, 1, &[])
    } else if rest.starts_with("api/search") {
        shapes::search_page(&base_url(&headers, app.addr), 0, 1, 50, &[])
    } else {
        json!({ "name": "Empty catalog", "images": [] })
    };
    json(StatusCode::OK, &value)
}

/// The first `good` library images, for mixing with the corpus.
async fn good_images(app: &App, uri: &Uri, base: &str) -> Result<Vec<Value>, Response> {
    let p = Params::from_uri(uri);
    let n = p
        .number("good", 0, 0)
        .map_err(|e| plain(StatusCode::BAD_REQUEST, e))?;
    let lib = app.store.library();
    let metas: Vec<_> = (0..n.min(lib.len() as u64) as u32)
        .filter_map(|id| lib.get(id))
        .collect();
    Ok(entries(app, &metas)
        .await?
        .into_iter()
        .map(|e| shapes::item(base, e))
        .collect())
}

/// `/corpus/urls.txt?good=N`
pub async fn urls_txt(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let base = base_url(&headers, app.addr);
    let good = match good_images(&app, &uri, &base).await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let urls: Vec<String> = good
        .iter()
        .filter_map(|v| v["url"].as_str().map(str::to_string))
        .collect();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        corpus::urls_txt(&base, &urls),
    )
        .into_response()
}

/// `/corpus/catalog.json?good=N`
pub async fn catalog(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let base = base_url(&headers, app.addr);
    match good_images(&app, &uri, &base).await {
        Ok(g) => json(StatusCode::OK, &corpus::catalog(&base, g)),
        Err(r) => r,
    }
}

/// `/corpus/expected.json`
pub async fn expected(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    json(
        StatusCode::OK,
        &corpus::expected(&base_url(&headers, app.addr)),
    )
}

/// `/corpus/hits`: `{case name: [ms since start of each request]}`.
pub async fn hits(State(app): State<Arc<App>>) -> Response {
    let hits = app
        .corpus
        .hits
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    json(StatusCode::OK, &json!(hits))
}
