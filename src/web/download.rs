//! One download attempt, in a worker: `fetch` with an `AbortSignal`, a
//! deadline for the headers and one for the body, no credentials and no
//! referrer. The body is read chunk by chunk and the download stopped (the
//! connection closed) once it passes the size limit, so a body that never
//! ends costs at most the limit. The chunks stay JS buffers and become one
//! at the end: the original never enters wasm memory. A fetch that fails before any answer is
//! followed by two probes to say why (`core::retry::diagnose`). Retrying is
//! not done here: `core::retry` decides, `worker` waits.

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::{Request, Response};
use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, ReferrerPolicy, RequestCredentials, RequestMode, RequestRedirect, ResponseType,
};

use crate::core::image_check::{check_length, check_read, Refusal};
use crate::core::protocol::{Checks, FetchRules};
use crate::core::retry::{diagnose, parse_retry_after, Failure};

/// How one attempt ended, when it did not bring bytes.
pub enum AttemptError {
    /// Worth judging by the retry policy.
    Failure(Failure),
    /// Final: the response itself is refused (too large, ...).
    Refused(Refusal),
    /// Cancel aborted it.
    Cancelled,
}

/// A GET of `url` as every download and probe makes it: no credentials, no
/// referrer, aborted by `controller`.
fn get(
    url: &str,
    controller: &AbortController,
    mode: RequestMode,
    redirect: RequestRedirect,
) -> Result<Request, AttemptError> {
    let signal = controller.signal();
    Request::get(url)
        .abort_signal(Some(&signal))
        .credentials(RequestCredentials::Omit)
        .referrer_policy(ReferrerPolicy::NoReferrer)
        .mode(mode)
        .redirect(redirect)
        .build()
        .map_err(|e| {
            AttemptError::Refused(Refusal::Failed(format!(
                "the request could not be made ({e})"
            )))
        })
}

/// Fetches `url` once. `controller` is aborted by Cancel from outside;
/// `cancelled` tells this attempt that the abort was a Cancel, not a deadline.
pub async fn fetch_once(
    url: &str,
    rules: &FetchRules,
    checks: &Checks,
    controller: &AbortController,
    cancelled: impl Fn() -> bool,
) -> Result<Uint8Array, AttemptError> {
    let timed_out: Rc<Cell<Option<&'static str>>> = Rc::new(Cell::new(None));
    let deadline = |phase: &'static str, ms: u32| {
        let controller = controller.clone();
        let timed_out = timed_out.clone();
        Timeout::new(ms, move || {
            timed_out.set(Some(phase));
            controller.abort();
        })
    };
    // Why a fetch or a read failed: Cancel, a deadline, or `otherwise`.
    let why = |ms: u32, otherwise: Failure| {
        if cancelled() {
            AttemptError::Cancelled
        } else if let Some(phase) = timed_out.get() {
            AttemptError::Failure(Failure::Timeout {
                phase,
                after_ms: ms as u64,
            })
        } else {
            AttemptError::Failure(otherwise)
        }
    };

    let headers_deadline = deadline("headers", rules.header_timeout_ms);
    let request = get(url, controller, RequestMode::Cors, RequestRedirect::Follow)?;
    let response = match request.send().await {
        Ok(r) => r,
        Err(_) => {
            let early = why(rules.header_timeout_ms, Failure::Network(String::new()));
            if !matches!(early, AttemptError::Failure(Failure::Network(_))) {
                return Err(early);
            }
            // Still within the headers deadline: ask the host why.
            let failure = probe(url, controller).await;
            headers_deadline.cancel();
            controller.abort();
            return Err(why(rules.header_timeout_ms, failure));
        }
    };
    headers_deadline.cancel();

    if !response.ok() {
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| parse_retry_after(&v, super::now_unix_ms()));
        let status = response.status();
        // The error page's body is not wanted: close the connection.
        controller.abort();
        return Err(AttemptError::Failure(Failure::Status {
            status,
            retry_after_ms,
        }));
    }
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Err(refusal) = check_length(declared, checks) {
        // Refused from the headers: stop the download, do not leave it open.
        controller.abort();
        return Err(AttemptError::Refused(refusal));
    }

    let body_deadline = deadline("body", rules.body_timeout_ms);
    let read = read_body(&response, checks).await;
    body_deadline.cancel();
    match read {
        Ok(bytes) => Ok(bytes),
        Err(Body::TooLarge(refusal)) => {
            controller.abort();
            Err(AttemptError::Refused(refusal))
        }
        Err(Body::Broken) => Err(why(rules.body_timeout_ms, Failure::Dropped)),
    }
}

/// Why a body was not read whole.
enum Body {
    /// It went past the size limit (the download is stopped).
    TooLarge(Refusal),
    /// The read failed: aborted (Cancel, deadline) or the connection broke.
    Broken,
}

/// Reads the body chunk by chunk, refusing it once it passes the limit,
/// into one JS buffer.
async fn read_body(response: &Response, checks: &Checks) -> Result<Uint8Array, Body> {
    let Some(stream) = response.body() else {
        return Ok(Uint8Array::new_with_length(0));
    };
    let reader = stream.get_reader();
    let read: Function = Reflect::get(&reader, &"read".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(Body::Broken)?;
    let parts = js_sys::Array::new();
    let mut total = 0u64;
    loop {
        let promise: Promise = read
            .call0(&reader)
            .ok()
            .and_then(|p| p.dyn_into().ok())
            .ok_or(Body::Broken)?;
        let result = JsFuture::from(promise).await.map_err(|_| Body::Broken)?;
        let done = Reflect::get(&result, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        let chunk: Uint8Array = Reflect::get(&result, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or(Body::Broken)?;
        total += chunk.length() as u64;
        check_read(total, checks).map_err(Body::TooLarge)?;
        parts.push(&chunk);
    }
    if parts.length() == 1 {
        return Ok(parts.get(0).unchecked_into());
    }
    let all = Uint8Array::new_with_length(total as u32);
    let mut at = 0;
    for part in parts.iter() {
        let part: Uint8Array = part.unchecked_into();
        all.set(&part, at);
        at += part.length();
    }
    Ok(all)
}

/// After a fetch failed with no answer (a page is told only "Failed to
/// fetch"): does the host answer a `no-cors` request (then it only refuses
/// to be read by a page), or redirect? `controller` bounds both probes (the
/// headers deadline, Cancel).
async fn probe(url: &str, controller: &AbortController) -> Failure {
    let answers = |mode, redirect| async move {
        match get(url, controller, mode, redirect) {
            Ok(request) => request.send().await.ok(),
            Err(_) => None,
        }
    };
    let no_cors = answers(RequestMode::NoCors, RequestRedirect::Follow)
        .await
        .is_some();
    let redirects = !no_cors
        && answers(RequestMode::Cors, RequestRedirect::Manual)
            .await
            .is_some_and(|r| r.type_() == ResponseType::Opaqueredirect);
    diagnose(
        no_cors,
        redirects,
        "nothing answered at that address (no connection, or the connection was refused or reset)"
            .into(),
    )
}
