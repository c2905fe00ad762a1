//! The download retry policy: which failed attempts are worth another try, and
//! how long to wait before it.
//!
//! Servers that are busy or rate-limiting ask clients to slow down; retrying at
//! once makes things worse for everyone. So transient failures (network
//! errors, timeouts, 408, 429, 5xx) are retried after an exponential back-off
//! with jitter, a server's own `Retry-After` is honoured (and pauses the whole
//! host), and permanent failures (other 4xx) give up at once with a sentence
//! the user can read. Time is passed in as numbers; nothing here reads a clock.

use std::fmt;
use std::time::UNIX_EPOCH;

/// The longest wait a `Retry-After` header can ask for (one hour). Larger
/// values are capped to this: a page should not sit idle for days.
pub const MAX_RETRY_AFTER_MS: u64 = 60 * 60 * 1000;

/// How failed downloads are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the first retry, before jitter.
    pub base_ms: u32,
    /// No back-off delay is ever longer than this.
    pub cap_ms: u32,
    /// How many retries follow the first attempt at most.
    pub max_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: 500,
            cap_ms: 30_000,
            max_retries: 3,
        }
    }
}

/// What went wrong with one attempt to download an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request failed before any answer came (offline, DNS, refused
    /// cross-origin request, connection reset...). The text is the browser's.
    Network(String),
    /// No answer within the time allowed. `phase` is `"headers"` (the server
    /// did not start answering) or `"body"` (the image did not finish arriving).
    Timeout { phase: &'static str, after_ms: u64 },
    /// The host answered, but without the CORS header that lets a web page
    /// read the answer (seen by a `no-cors` probe after a failed fetch).
    NoCors,
    /// The address redirects in a loop or too many times (the browser gives up
    /// after 20), or to a host that does not answer.
    RedirectLoop,
    /// The connection broke after the answer began, before the image ended.
    Dropped,
    /// The server answered with an HTTP error status.
    Status {
        status: u16,
        /// The server's `Retry-After`, already parsed (see [`parse_retry_after`]).
        retry_after_ms: Option<u64>,
    },
}

impl Failure {
    /// Whether trying again later might succeed: network errors, timeouts,
    /// 408, 429 and 5xx are transient; other statuses (404, 403, ...) are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Network(_) | Failure::Timeout { .. } | Failure::Dropped => true,
            Failure::NoCors | Failure::RedirectLoop => false,
            Failure::Status { status, .. } => {
                *status == 408 || *status == 429 || (500..=599).contains(status)
            }
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Network(text) => {
                write!(f, "could not reach the server")?;
                let text = text.trim();
                if !text.is_empty() {
                    write!(f, ": {text}")?;
                }
                Ok(())
            }
            Failure::NoCors => write!(
                f,
                "this host does not allow downloads from a web page (its answer has no CORS header)"
            ),
            Failure::RedirectLoop => write!(
                f,
                "the address redirects in a loop or too many times, or to a host that does not answer"
            ),
            Failure::Dropped => write!(
                f,
                "the connection was dropped before the image finished arriving"
            ),
            Failure::Timeout { phase, after_ms } => {
                let seconds = seconds_text(*after_ms);
                if *phase == "body" {
                    write!(
                        f,
                        "the image did not finish arriving within {seconds} (body)"
                    )
                } else {
                    write!(f, "no answer within {seconds} ({phase})")
                }
            }
            Failure::Status { status, .. } => {
                let text = status_text(*status);
                if text.is_empty() {
                    write!(f, "the server answered {status}")
                } else {
                    write!(f, "the server answered {status} {text}")
                }
            }
        }
    }
}

/// What a fetch that failed before any answer came means, from two probes
/// made after it (a page sees only "Failed to fetch" for all of these):
/// `answers_no_cors` — the same address answered a `no-cors` request, so the
/// host is up and only refuses to be read by a page; `redirects` — the
/// address answers with a redirect (a `redirect: "manual"` request).
pub fn diagnose(answers_no_cors: bool, redirects: bool, detail: String) -> Failure {
    if answers_no_cors {
        Failure::NoCors
    } else if redirects {
        Failure::RedirectLoop
    } else {
        Failure::Network(detail)
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try again after `ms` milliseconds. When `pause_host` is true the server
    /// asked everyone to wait: no request to that host should start before then.
    RetryIn { ms: u64, pause_host: bool },
    /// Stop; the text says why, as a sentence for the user.
    GiveUp(String),
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0 = the first retry).
    ///
    /// The un-jittered delay is `min(cap, base * 2^retry)`; `jitter` in [0, 1)
    /// picks a delay uniformly between half of it and all of it ("equal
    /// jitter"), so clients that failed together do not retry together.
    /// Jitter outside [0, 1) (or NaN) is clamped. Never exceeds `cap_ms`.
    pub fn backoff_ms(&self, retry: u32, jitter: f64) -> u32 {
        let cap = u64::from(self.cap_ms);
        let full = if retry >= 63 {
            cap
        } else {
            let grown = u64::from(self.base_ms).saturating_mul(1u64 << retry);
            grown.min(cap)
        };
        let half = full / 2;
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // `full - half` fits in u32, so the product is an exact enough f64
        // and the cast back cannot overflow.
        let extra = (jitter * (full - half) as f64) as u64;
        let delay = (half + extra).min(full);
        u32::try_from(delay).unwrap_or(self.cap_ms)
    }

    /// Decide what to do after `failure`, given how many retries were already
    /// made for this image. `jitter` in [0, 1) comes from the caller's random
    /// source.
    pub fn decide(&self, failure: &Failure, retries_so_far: u32, jitter: f64) -> Decision {
        if !failure.is_transient() {
            return Decision::GiveUp(failure.to_string());
        }
        if retries_so_far >= self.max_retries {
            let sentence = match retries_so_far {
                0 => failure.to_string(),
                1 => format!("{failure}; retried once"),
                n => format!("{failure}; retried {n} times"),
            };
            return Decision::GiveUp(sentence);
        }
        if let Failure::Status {
            status: 429 | 503,
            retry_after_ms: Some(ms),
        } = failure
        {
            return Decision::RetryIn {
                ms: (*ms).min(MAX_RETRY_AFTER_MS),
                pause_host: true,
            };
        }
        Decision::RetryIn {
            ms: u64::from(self.backoff_ms(retries_so_far, jitter)),
            pause_host: false,
        }
    }
}

/// Parse a `Retry-After` header value into milliseconds to wait from `now`.
///
/// Accepts delta-seconds (`"120"`) and HTTP dates (`"Wed, 21 Oct 2015
/// 07:28:00 GMT"`). A date in the past gives `Some(0)`; anything else gives
/// `None`. Waits longer than [`MAX_RETRY_AFTER_MS`] are capped to it.
pub fn parse_retry_after(value: &str, now_unix_ms: f64) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to fit a u64 is still a valid (absurd) number.
        let ms = value
            .parse::<u64>()
            .map(|seconds| seconds.saturating_mul(1000))
            .unwrap_or(u64::MAX);
        return Some(ms.min(MAX_RETRY_AFTER_MS));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    let when_ms = when.duration_since(UNIX_EPOCH).ok()?.as_millis() as f64;
    if !now_unix_ms.is_finite() {
        return None;
    }
    let wait = when_ms - now_unix_ms;
    if wait <= 0.0 {
        Some(0)
    } else {
        Some((wait.ceil() as u64).min(MAX_RETRY_AFTER_MS))
    }
}

/// The reason phrase of common HTTP status codes, or `""` for others.
pub fn status_text(status: u16) -> &'static str {
    match status {
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => "",
    }
}

/// "15 s", "1.5 s", "0.25 s": a duration in milliseconds as seconds.
fn seconds_text(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        let text = format!("{:.3}", ms as f64 / 1000.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("{text} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(parse_retry_after("120", 0.0), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0));
        // Absurd values are capped at an hour, even past u64.
        assert_eq!(parse_retry_after("86400", 0.0), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(
            parse_retry_after("99999999999999999999999999", 0.0),
            Some(MAX_RETRY_AFTER_MS)
        );

        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 s after the epoch.
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        let then_ms = 1_445_412_480_000.0;
        assert_eq!(parse_retry_after(date, then_ms - 30_000.0), Some(30_000));
        assert_eq!(parse_retry_after(date, then_ms - 0.5), Some(1));
        assert_eq!(parse_retry_after(date, then_ms), Some(0));
        assert_eq!(parse_retry_after(date, then_ms + 5_000.0), Some(0));
        assert_eq!(
            parse_retry_after(date, then_ms - 10.0 * 3_600_000.0),
            Some(MAX_RETRY_AFTER_MS)
        );

        for garbage in ["", "  ", "soon", "-5", "1.5", "12 s", "Wed, 32 Oct 2015"] {
            assert_eq!(parse_retry_after(garbage, then_ms), None, "{garbage:?}");
        }
        assert_eq!(parse_retry_after(date, f64::NAN), None);
    }

    #[test]
    fn backoff_bounds_grow_then_cap() {
        let policy = RetryPolicy::default();
        let mut previous_full = 0u64;
        for retry in 0..40u32 {
            let full = (500u64 << retry.min(32)).min(30_000);
            assert!(full >= previous_full, "the un-jittered delay never shrinks");
            previous_full = full;
            for jitter in [0.0, 0.5, 0.999] {
                let delay = u64::from(policy.backoff_ms(retry, jitter));
                assert!(delay >= full / 2, "retry {retry} jitter {jitter}: {delay}");
                assert!(delay <= full, "retry {retry} jitter {jitter}: {delay}");
                assert!(delay <= 30_000);
            }
            assert_eq!(u64::from(policy.backoff_ms(retry, 0.0)), full / 2);
        }
        assert_eq!(policy.backoff_ms(0, 0.0), 250);
        assert_eq!(policy.backoff_ms(1, 0.0), 500);
        assert_eq!(policy.backoff_ms(2, 0.5), 1_500);

        // Huge retry numbers, huge bases and odd jitter never overflow.
        let wide = RetryPolicy {
            base_ms: u32::MAX,
            cap_ms: u32::MAX,
            max_retries: 3,
        };
        for retry in [0, 1, 31, 32, 63, 64, u32::MAX] {
            for jitter in [0.0, 0.999, -1.0, 7.0, f64::NAN, f64::INFINITY] {
                assert!(wide.backoff_ms(retry, jitter) >= u32::MAX / 2);
                assert!(policy.backoff_ms(retry, jitter) <= 30_000);
            }
        }
    }

    #[test]
    fn a_failed_fetch_is_told_apart_by_its_probes() {
        let policy = RetryPolicy::default();
        let no_cors = diagnose(true, false, String::new());
        assert_eq!(no_cors, Failure::NoCors);
        assert_eq!(diagnose(true, true, String::new()), Failure::NoCors);
        assert_eq!(
            policy.decide(&no_cors, 0, 0.5),
            Decision::GiveUp(
                "this host does not allow downloads from a web page (its answer has no CORS header)"
                    .into()
            )
        );
        let looped = diagnose(false, true, String::new());
        match policy.decide(&looped, 0, 0.5) {
            Decision::GiveUp(text) => assert!(text.contains("redirects in a loop"), "{text}"),
            other => panic!("a redirect loop is not retried: {other:?}"),
        }
        let down = diagnose(false, false, "nothing answers".into());
        assert_eq!(
            down.to_string(),
            "could not reach the server: nothing answers"
        );
        assert!(matches!(
            policy.decide(&down, 0, 0.5),
            Decision::RetryIn { .. }
        ));
        match policy.decide(&Failure::Dropped, 3, 0.5) {
            Decision::GiveUp(text) => assert_eq!(
                text,
                "the connection was dropped before the image finished arriving; retried 3 times"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let policy = RetryPolicy::default();
        let status = |status| Failure::Status {
            status,
            retry_after_ms: None,
        };
        let transient = [
            Failure::Network("Failed to fetch".into()),
            Failure::Timeout {
                phase: "headers",
                after_ms: 15_000,
            },
            Failure::Timeout {
                phase: "body",
                after_ms: 60_000,
            },
            status(408),
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
            status(599),
        ];
        for failure in &transient {
            assert!(failure.is_transient(), "{failure:?}");
            match policy.decide(failure, 0, 0.5) {
                Decision::RetryIn { ms, pause_host } => {
                    assert!((250..=500).contains(&ms), "{failure:?}: {ms}");
                    assert!(!pause_host);
                }
                other => panic!("{failure:?} should be retried, got {other:?}"),
            }
        }
        for code in [400, 401, 403, 404, 410, 451, 499, 301, 200] {
            let failure = status(code);
            assert!(!failure.is_transient(), "{code}");
            assert!(matches!(
                policy.decide(&failure, 0, 0.5),
                Decision::GiveUp(_)
            ));
        }
        assert_eq!(
            policy.decide(&status(404), 0, 0.0),
            Decision::GiveUp("the server answered 404 Not Found".into())
        );
        assert_eq!(
            policy.decide(&status(499), 0, 0.0),
            Decision::GiveUp("the server answered 499".into())
        );
    }

    #[test]
    fn retries_stop_after_the_limit_with_a_sentence() {
        let policy = RetryPolicy::default();
        let too_many = Failure::Status {
            status: 429,
            retry_after_ms: None,
        };
        for retries in 0..3 {
            assert!(matches!(
                policy.decide(&too_many, retries, 0.0),
                Decision::RetryIn { .. }
            ));
        }
        assert_eq!(
            policy.decide(&too_many, 3, 0.0),
            Decision::GiveUp("the server answered 429 Too Many Requests; retried 3 times".into())
        );
        let timeout = Failure::Timeout {
            phase: "headers",
            after_ms: 15_000,
        };
        assert_eq!(
            policy.decide(&timeout, 3, 0.0),
            Decision::GiveUp("no answer within 15 s (headers); retried 3 times".into())
        );
        let once = RetryPolicy {
            max_retries: 1,
            ..RetryPolicy::default()
        };
        assert_eq!(
            once.decide(&timeout, 1, 0.0),
            Decision::GiveUp("no answer within 15 s (headers); retried once".into())
        );
        let never = RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        };
        let stalled = Failure::Timeout {
            phase: "body",
            after_ms: 1_500,
        };
        assert_eq!(
            never.decide(&stalled, 0, 0.0),
            Decision::GiveUp("the image did not finish arriving within 1.5 s (body)".into())
        );
        match policy.decide(&Failure::Network("Failed to fetch".into()), 3, 0.0) {
            Decision::GiveUp(text) => {
                assert!(text.starts_with("could not reach the server"), "{text}");
                assert!(
                    text.ends_with(": Failed to fetch; retried 3 times"),
                    "{text}"
                );
            }
            other => panic!("expected GiveUp, got {other:?}"),
        }
    }

    #[test]
    fn a_429_with_retry_after_pauses_the_host() {
        let policy = RetryPolicy::default();
        for status in [429, 503] {
            let failure = Failure::Status {
                status,
                retry_after_ms: Some(120_000),
            };
            assert_eq!(
                policy.decide(&failure, 0, 0.3),
                Decision::RetryIn {
                    ms: 120_000,
                    pause_host: true
                }
            );
        }
        // A Retry-After on another status is just a transient failure.
        let failure = Failure::Status {
            status: 502,
            retry_after_ms: Some(120_000),
        };
        assert!(matches!(
            policy.decide(&failure, 0, 0.3),
            Decision::RetryIn {
                pause_host: false,
                ..
            }
        ));
        // Even a server asking for a week is only waited for an hour.
        let failure = Failure::Status {
            status: 429,
            retry_after_ms: Some(7 * 24 * 3_600_000),
        };
        assert_eq!(
            policy.decide(&failure, 1, 0.3),
            Decision::RetryIn {
                ms: MAX_RETRY_AFTER_MS,
                pause_host: true
            }
        );
        // The limit still applies.
        assert!(matches!(
            policy.decide(&failure, 3, 0.3),
            Decision::GiveUp(_)
        ));
    }
}
