//! One download attempt, in a worker: `fetch` with an `AbortSignal`, a
//! deadline for the headers and one for the body, no credentials and no
//! referrer. Retrying is not done here: `core::retry` decides, `worker` waits.

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::Request;
use gloo_timers::callback::Timeout;
use web_sys::{AbortController, ReferrerPolicy, RequestCredentials, RequestMode};

use crate::core::image_check::{check_length, Refusal};
use crate::core::protocol::{Checks, FetchRules};
use crate::core::retry::{parse_retry_after, Failure};

/// How one attempt ended, when it did not bring bytes.
pub enum AttemptError {
    /// Worth judging by the retry policy.
    Failure(Failure),
    /// Final: the response itself is refused (too large, ...).
    Refused(Refusal),
    /// Cancel aborted it.
    Cancelled,
}

/// Fetches `url` once. `controller` is aborted by Cancel from outside;
/// `cancelled` tells this attempt that the abort was a Cancel, not a deadline.
pub async fn fetch_once(
    url: &str,
    rules: &FetchRules,
    checks: &Checks,
    controller: &AbortController,
    cancelled: impl Fn() -> bool,
) -> Result<Vec<u8>, AttemptError> {
    let timed_out: Rc<Cell<Option<&'static str>>> = Rc::new(Cell::new(None));
    let deadline = |phase: &'static str, ms: u32| {
        let controller = controller.clone();
        let timed_out = timed_out.clone();
        Timeout::new(ms, move || {
            timed_out.set(Some(phase));
            controller.abort();
        })
    };
    let why_aborted = |e: String, ms: u32| {
        if cancelled() {
            AttemptError::Cancelled
        } else if let Some(phase) = timed_out.get() {
            AttemptError::Failure(Failure::Timeout {
                phase,
                after_ms: ms as u64,
            })
        } else {
            AttemptError::Failure(Failure::Network(e))
        }
    };

    let headers_deadline = deadline("headers", rules.header_timeout_ms);
    let signal = controller.signal();
    let request = Request::get(url)
        .abort_signal(Some(&signal))
        .credentials(RequestCredentials::Omit)
        .referrer_policy(ReferrerPolicy::NoReferrer)
        .mode(RequestMode::Cors)
        .build()
        .map_err(|e| {
            AttemptError::Refused(Refusal::Failed(format!(
                "the request could not be made ({e})"
            )))
        })?;
    let response = request
        .send()
        .await
        .map_err(|e| why_aborted(network_sentence(&e.to_string()), rules.header_timeout_ms))?;
    headers_deadline.cancel();

    if !response.ok() {
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| parse_retry_after(&v, super::now_unix_ms()));
        return Err(AttemptError::Failure(Failure::Status {
            status: response.status(),
            retry_after_ms,
        }));
    }
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    check_length(declared, checks).map_err(AttemptError::Refused)?;

    let body_deadline = deadline("body", rules.body_timeout_ms);
    let bytes = response
        .binary()
        .await
        .map_err(|e| why_aborted(network_sentence(&e.to_string()), rules.body_timeout_ms))?;
    body_deadline.cancel();
    Ok(bytes)
}

/// `fetch` rejects with a bare "Failed to fetch" for a refused connection, a
/// reset and a host that does not allow cross-origin downloads alike; say what
/// it can mean.
fn network_sentence(raw: &str) -> String {
    if raw.contains("Failed to fetch") || raw.contains("NetworkError") {
        "the download failed: the host could not be reached, dropped the connection, or does not allow downloads from a web page".into()
    } else {
        format!("the download failed ({raw})")
    }
}
