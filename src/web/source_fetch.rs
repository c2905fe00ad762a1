//! Fetches a source's request (a provider's JSON or a URL list) from the page.
//!
//! These answers are small text, not image bytes, so the page fetches them
//! itself; no credentials, no referrer, a deadline, and Cancel aborts it.

use gloo_net::http::Request;
use gloo_timers::callback::Timeout;
use web_sys::{AbortController, ReferrerPolicy, RequestCredentials, RequestMode};

use crate::core::source::SourceRequest;

/// A source's answer: status, `Retry-After` if any, and the body as text.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

/// Fetches a source request; `Err` is a sentence (network failure, deadline).
pub async fn fetch_source(
    req: &SourceRequest,
    controller: &AbortController,
    deadline_ms: u32,
) -> Result<Answer, String> {
    let timer = {
        let controller = controller.clone();
        Timeout::new(deadline_ms, move || controller.abort())
    };
    let signal = controller.signal();
    let mut builder = Request::get(&req.url)
        .abort_signal(Some(&signal))
        .credentials(RequestCredentials::Omit)
        .referrer_policy(ReferrerPolicy::NoReferrer)
        .mode(RequestMode::Cors);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    let host = crate::core::hosts::host_of(&req.url).unwrap_or_else(|| req.url.clone());
    let unreachable = |_| {
        format!("{host} could not be reached (no answer, or it does not allow requests from a web page).")
    };
    let response = builder.send().await.map_err(unreachable)?;
    let status = response.status();
    let retry_after = response.headers().get("retry-after");
    let body = response.text().await.map_err(unreachable)?;
    timer.cancel();
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}
