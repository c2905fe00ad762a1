//! The local demo source: a deterministic library of real image files served
//! on 127.0.0.1 (with `--hosts N`, on 127.0.0.1 … 127.0.0.N, all on one port
//! and one state, so URL lists can spread over N hosts) with search APIs
//! shaped like this project's own, Wikimedia Commons' and Openverse's, plus
//! injectable faults and request statistics for tests. This module holds the shared state, the router and the layer
//! that counts requests, applies `--latency-ms` and adds the CORS headers.
//! The contract is `demo-server/README.md`; the corpus of bad inputs under
//! `/corpus/` is listed in the top-level README.md.

pub mod config;
pub mod corpus;
pub mod corpus_files;
pub mod corpus_reset;
pub mod corpus_routes;
pub mod faults;
pub mod library;
pub mod pixels;
pub mod rng;
pub mod routes;
pub mod shapes;
pub mod stats;
pub mod store;

use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use http_body::{Frame, SizeHint};

pub use config::{Config, MAX_HOSTS};
use corpus_reset::{ResetHandle, ResettableListener};
use corpus_routes::{Corpus, NoCors};
use library::Library;
use stats::{InFlight, Stats};
use store::Store;

/// The state shared by all requests of one server.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub stats: Arc<Stats>,
    /// The corpus of bad inputs: its files and request log.
    pub corpus: Corpus,
    /// The address the server is bound to (for URLs when Host is missing):
    /// 127.0.0.1 and its port, which the other `--hosts` addresses share.
    pub addr: SocketAddr,
}

/// The address a request came to (one per listener, `127.0.0.k:PORT`), for
/// the per-host statistics.
#[derive(Clone, Copy, Debug)]
pub struct LocalAddr(pub SocketAddr);

/// Builds the router of a server bound to `addr`.
pub fn router(config: Config, addr: SocketAddr) -> (Router, Arc<App>) {
    let library = Arc::new(Library::new(config.library.clone()));
    let cache = config.cache_mb.saturating_mul(1 << 20);
    let app = Arc::new(App {
        store: Store::new(library, cache),
        stats: Arc::new(Stats::default()),
        corpus: Corpus::default(),
        config,
        addr,
    });
    let router = Router::new()
        .route("/", get(routes::index))
        .route("/api/search", get(routes::search))
        .route("/catalog.json", get(routes::catalog))
        .route("/api/urls.txt", get(routes::urls_txt))
        .route("/api/urls.csv", get(routes::urls_csv))
        .route("/images/{file}", get(routes::image))
        .route("/pages/{id}", get(routes::page))
        .route("/w/api.php", get(routes::mediawiki))
        .route("/v1/images/", get(routes::openverse))
        .route("/v1/images", get(routes::openverse))
        .route("/corpus/expected.json", get(corpus_routes::expected))
        .route("/corpus/urls.txt", get(corpus_routes::urls_txt))
        .route("/corpus/catalog.json", get(corpus_routes::catalog))
        .route("/corpus/hits", get(corpus_routes::hits))
        .route(
            "/corpus/provider/malformed",
            get(corpus_routes::provider_malformed),
        )
        .route(
            "/corpus/provider/malformed/{*rest}",
            get(corpus_routes::provider_malformed),
        )
        .route("/corpus/provider/empty", get(corpus_routes::provider_empty))
        .route(
            "/corpus/provider/empty/{*rest}",
            get(corpus_routes::provider_empty),
        )
        .route("/corpus/{file}", get(corpus_routes::file))
        .route("/stats", get(routes::stats))
        .route(
            "/stats/reset",
            get(routes::stats_reset).post(routes::stats_reset),
        )
        .fallback(routes::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), track))
        .with_state(app.clone());
    (router, app)
}

/// A running server.
pub struct Running {
    /// 127.0.0.1 and the port.
    pub addr: SocketAddr,
    /// Every address it listens on: 127.0.0.1 … 127.0.0.N (`--hosts N`), same port.
    pub addrs: Vec<SocketAddr>,
    pub app: Arc<App>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the server fails.
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(format!(
                "The server task ended: {e}."
            ))),
        }
    }

    /// Stops serving.
    pub fn stop(&self) {
        self.task.abort();
    }
}

/// 127.0.0.`k` (k from 1).
pub fn loopback(k: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, k)
}

/// How many times `--port 0` tries a new port when one of the other
/// addresses cannot take the port 127.0.0.1 got.
const PORT_TRIES: usize = 20;

/// Binds 127.0.0.1 … 127.0.0.`hosts` on `port` (0: the port 127.0.0.1
/// gets). The error names the address that could not be bound.
async fn bind_all(port: u16, hosts: u8) -> std::io::Result<Vec<tokio::net::TcpListener>> {
    let bind = |addr: SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("could not listen on {addr}: {e}")))
    };
    let first = bind(SocketAddr::from((loopback(1), port))).await?;
    let port = first.local_addr()?.port();
    let mut listeners = vec![first];
    for k in 2..=hosts {
        listeners.push(bind(SocketAddr::from((loopback(k), port))).await?);
    }
    Ok(listeners)
}

/// Binds 127.0.0.1:`config.port` (0 picks a free port) and, with
/// `config.hosts` N > 1, 127.0.0.2 … 127.0.0.N on the same port, and
/// starts serving on all of them, with one state. With port 0, a port that
/// one of the other addresses cannot take is given up for another.
pub async fn start(mut config: Config) -> std::io::Result<Running> {
    config.hosts = config.hosts.clamp(1, MAX_HOSTS);
    let mut tries = 0;
    let listeners = loop {
        tries += 1;
        match bind_all(config.port, config.hosts).await {
            Ok(l) => break l,
            Err(e)
                if config.port == 0
                    && tries < PORT_TRIES
                    && e.kind() == std::io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(e),
        }
    };
    let addrs = listeners
        .iter()
        .map(|l| l.local_addr())
        .collect::<std::io::Result<Vec<_>>>()?;
    let addr = addrs[0];
    let (router, app) = router(config, addr);
    // One service per address, each telling requests which address they
    // came to; all share the app's state.
    let serving: Vec<_> = listeners
        .into_iter()
        .zip(&addrs)
        .map(|(listener, local)| {
            let service = router
                .clone()
                .layer(Extension(LocalAddr(*local)))
                .into_make_service_with_connect_info::<ResetHandle>();
            axum::serve(ResettableListener(listener), service).into_future()
        })
        .collect();
    let task = tokio::spawn(async move {
        futures_util::future::try_join_all(serving)
            .await
            .map(|_| ())
    });
    Ok(Running {
        addr,
        addrs,
        app,
        task,
    })
}

/// A response body that keeps its request counted as in flight until the
/// body is finished or dropped (for instance when the client goes away).
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn add_cors(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After, Content-Length"),
    );
}

/// The answer to a CORS preflight: GET from anywhere, with any header.
fn preflight(req: &Request) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    let asked = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let private_network = req
        .headers()
        .contains_key("access-control-request-private-network");
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        asked.unwrap_or_else(|| HeaderValue::from_static("*")),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    if private_network {
        h.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
    add_cors(&mut res);
    res
}

/// Counts the request, delays it by `--latency-ms`, and adds CORS headers.
/// `/stats` and `/stats/reset` are neither counted nor delayed.
async fn track(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/stats" || path == "/stats/reset" {
        let mut res = next.run(req).await;
        add_cors(&mut res);
        return res;
    }
    let is_image = path.starts_with("/images/") && req.method() != Method::OPTIONS;
    let host = || {
        let local = req
            .extensions()
            .get::<LocalAddr>()
            .map_or(app.addr, |l| l.0);
        local.to_string()
    };
    let in_flight = app.stats.begin(is_image.then(host));
    if req.method() == Method::OPTIONS {
        return preflight(&req);
    }
    if app.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(app.config.latency_ms)).await;
    }
    let res = next.run(req).await;
    let cors = res.extensions().get::<NoCors>().is_none();
    let (parts, body) = res.into_parts();
    let mut res = Response::from_parts(
        parts,
        Body::new(Tracked {
            inner: body,
            _in_flight: in_flight,
        }),
    );
    if cors {
        add_cors(&mut res);
    }
    res
}
