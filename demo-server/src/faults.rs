//! Injected failures of image requests: the ones a request asks for with
//! `fault=…` query parameters, and the ones `--fault-rate` plans for a fixed,
//! seed-determined share of the images (each of those fails only on its first
//! request, so tests that retry are never flaky). Also builds the failing
//! answers themselves.

use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Response, StatusCode};
use futures_util::stream::{self, StreamExt};

use crate::rng;

/// A kind of failure, as named on the command line and in `fault=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    TooManyRequests,
    ServerError,
    Unavailable,
    NotFound,
    Stall,
    WrongType,
}

impl FaultKind {
    /// Parses `429`, `500`, `503`, `404`, `stall` or `wrong-type`.
    pub fn parse(name: &str) -> Result<FaultKind, String> {
        match name.trim() {
            "429" => Ok(FaultKind::TooManyRequests),
            "500" => Ok(FaultKind::ServerError),
            "503" => Ok(FaultKind::Unavailable),
            "404" => Ok(FaultKind::NotFound),
            "stall" => Ok(FaultKind::Stall),
            "wrong-type" => Ok(FaultKind::WrongType),
            other => Err(format!(
                "The fault \"{other}\" is unknown; use 429, 500, 503, 404, stall or wrong-type."
            )),
        }
    }

    /// Parses a comma-separated list such as `429,500`.
    pub fn parse_list(list: &str) -> Result<Vec<FaultKind>, String> {
        let kinds = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(FaultKind::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if kinds.is_empty() {
            return Err("The fault list is empty; name at least one fault, e.g. 429,500.".into());
        }
        Ok(kinds)
    }
}

/// One failure to answer with, with its details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: u64,
    /// Send `Retry-After` as an HTTP date instead of seconds.
    pub retry_after_as_date: bool,
}

impl Fault {
    /// A fault with the default details (`Retry-After: 1` in seconds).
    pub fn plain(kind: FaultKind) -> Fault {
        Fault {
            kind,
            retry_after: 1,
            retry_after_as_date: false,
        }
    }
}

/// The fault `--fault-rate` plans for an image, if any: a share `rate` of the
/// images, chosen by `(seed, id)`, each with one of `kinds`.
pub fn planned(seed: u64, id: u32, rate: f64, kinds: &[FaultKind]) -> Option<FaultKind> {
    if rate <= 0.0 || kinds.is_empty() {
        return None;
    }
    let mut r = rng::Rng::for_parts(&[seed, id as u64, 0x4641_554c]);
    if r.unit() < rate {
        Some(*r.pick(kinds))
    } else {
        None
    }
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut res = Response::new(Body::from(message));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

fn retry_after_value(fault: &Fault) -> HeaderValue {
    let value = if fault.retry_after_as_date {
        httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(fault.retry_after))
    } else {
        fault.retry_after.to_string()
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("1"))
}

/// The answer for a fault that needs no image bytes; `None` for `stall`,
/// which sends part of the real file (see [`stall`]).
pub fn respond(fault: &Fault, file_name: &str) -> Option<Response<Body>> {
    let res = match fault.kind {
        FaultKind::TooManyRequests => {
            let mut res = text(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many requests for {file_name}: try again in {} seconds.",
                    fault.retry_after
                ),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after_value(fault));
            res
        }
        FaultKind::ServerError => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The server failed while reading {file_name} (injected fault)."),
        ),
        FaultKind::Unavailable => {
            let mut res = text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("The server is too busy to send {file_name}; try again in a second."),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after_value(fault));
            res
        }
        FaultKind::NotFound => text(
            StatusCode::NOT_FOUND,
            format!("There is no file {file_name} (injected fault)."),
        ),
        FaultKind::WrongType => {
            let html = format!(
                "<!doctype html>\n<html><head><title>Sign in</title></head>\
                 <body><h1>Please sign in</h1><p>This page stands in for {file_name}.</p></body></html>\n"
            );
            let mut res = Response::new(Body::from(html));
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            res
        }
        FaultKind::Stall => return None,
    };
    Some(res)
}

/// The stalling answer: full headers (with the whole Content-Length), the
/// first half of the body, then nothing until the client goes away.
pub fn stall(bytes: Bytes, mime: &'static str) -> Response<Body> {
    let total = bytes.len();
    let half = bytes.slice(..total / 2);
    let body =
        stream::once(async move { Ok::<Bytes, std::io::Error>(half) }).chain(stream::pending());
    let mut res = Response::new(Body::from_stream(body));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(total as u64));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_lists_parse_and_reject_unknown_names() {
        assert_eq!(
            FaultKind::parse_list("429,500").unwrap(),
            vec![FaultKind::TooManyRequests, FaultKind::ServerError]
        );
        assert_eq!(
            FaultKind::parse_list("stall, wrong-type").unwrap(),
            vec![FaultKind::Stall, FaultKind::WrongType]
        );
        assert!(FaultKind::parse_list("418").unwrap_err().contains("418"));
        assert!(FaultKind::parse_list("").is_err());
    }

    #[test]
    fn planned_faults_hit_about_the_stated_share_and_are_stable() {
        let kinds = [FaultKind::TooManyRequests, FaultKind::ServerError];
        let hits = (0..10_000)
            .filter(|&id| planned(1, id, 0.2, &kinds).is_some())
            .count();
        assert!((1700..2300).contains(&hits), "{hits}");
        for id in 0..100 {
            assert_eq!(planned(1, id, 0.2, &kinds), planned(1, id, 0.2, &kinds));
        }
        assert!((0..100).all(|id| planned(1, id, 0.0, &kinds).is_none()));
        assert!((0..100).all(|id| planned(1, id, 1.0, &kinds).is_some()));
    }
}
