//! Small helpers every source module uses: turning an answer's HTTP status
//! into a [`SourceError`] sentence, parsing a JSON body into a `Malformed`
//! error that names the service, checking a configured base URL, and lenient
//! field deserializers (a provider that sends `null`, a number as a string or
//! a float where an integer belongs must not make a whole page unreadable).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use super::{SourceError, SourcePage};

/// `Ok` for a 2xx status; otherwise the error sentence for `service`.
pub(crate) fn check_status(
    service: &str,
    status: u16,
    retry_after: Option<&str>,
) -> Result<(), SourceError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(status_error(service, status, retry_after))
    }
}

/// The `Retry-After` value worth carrying: trimmed, `None` when empty.
pub(crate) fn carry_retry_after(retry_after: Option<&str>) -> Option<String> {
    retry_after
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A sentence for a non-2xx answer. Transient statuses (408, 429, 5xx) say
/// that waiting may help and carry `Retry-After`; others name the status.
pub(crate) fn status_error(service: &str, status: u16, retry_after: Option<&str>) -> SourceError {
    let retry_after = carry_retry_after(retry_after);
    let status_text = status_with_reason(status);
    let wait = match retry_after.as_deref().and_then(|s| s.parse::<u64>().ok()) {
        Some(1) => " (it asks to wait 1 second)".to_string(),
        Some(n) => format!(" (it asks to wait {n} seconds)"),
        None => String::new(),
    };
    let message = match status {
        408 => format!("{service} timed out before answering ({status_text}); trying again later may work."),
        429 => format!("{service} asks us to slow down ({status_text}); waiting and trying again should work{wait}."),
        500..=599 => format!("{service} is having trouble ({status_text}); trying again later may work{wait}."),
        _ => format!("{service} answered {status_text}."),
    };
    SourceError::Http {
        status,
        message,
        retry_after,
    }
}

/// "404 Not Found", or just "499" for a status without a standard reason.
pub(crate) fn status_with_reason(status: u16) -> String {
    match reason(status) {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

fn reason(status: u16) -> Option<&'static str> {
    Some(crate::core::retry::status_text(status)).filter(|r| !r.is_empty())
}

/// Parses a JSON body, or says why `service`'s answer cannot be read.
pub(crate) fn parse_json<T: DeserializeOwned>(
    service: &'static str,
    body: &str,
) -> Result<T, SourceError> {
    let trimmed = body.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(SourceError::Malformed {
            service,
            detail: "it was empty".into(),
        });
    }
    if trimmed.starts_with('<') {
        return Err(SourceError::Malformed {
            service,
            detail: "it sent an HTML page instead of JSON".into(),
        });
    }
    serde_json::from_str(trimmed).map_err(|e| SourceError::Malformed {
        service,
        detail: json_problem(&e).into(),
    })
}

/// What was wrong with a JSON answer, in words (the parser's line and column
/// mean nothing to the person collecting).
fn json_problem(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => "it was cut off before its end",
        Category::Syntax => "it is not valid JSON",
        Category::Data => "it lacks what this service always sends",
        Category::Io => "it could not be read",
    }
}

/// A search query as a service takes it: trimmed, runs of white space made
/// one space, and at most `max` characters (Unicode scalar values, as
/// MediaWiki's CirrusSearch and Openverse count them). A longer query is cut
/// at the end of a word when one ends in its second half, and never inside an
/// emoji sequence; the notice says so, for the user.
pub(crate) fn fit_query(service: &str, query: &str, max: usize) -> (String, Option<String>) {
    let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = query.chars().count();
    if length <= max {
        return (query, None);
    }
    let chars: Vec<char> = query.chars().collect();
    let mut end = max;
    if !chars[max].is_whitespace() {
        // Mid-word: go back to the last space, if that keeps half the query.
        if let Some(space) = chars[..max].iter().rposition(|c| c.is_whitespace()) {
            if space >= max / 2 {
                end = space;
            }
        }
    }
    // Never leave half an emoji: a joiner, a variation selector or a skin
    // tone waits for what it joins or modifies.
    let dangling = |c: char| {
        matches!(
            c,
            '\u{200d}' | '\u{fe0e}' | '\u{fe0f}' | '\u{1f3fb}'..='\u{1f3ff}'
        ) || c.is_whitespace()
    };
    while end > 0 && dangling(chars[end - 1]) {
        end -= 1;
    }
    let fitted: String = chars[..end].iter().collect();
    let kept = fitted.chars().count();
    let notice = format!(
        "{service} searches at most {max} characters; this query has {length}, so only its first {kept} were searched."
    );
    (fitted, Some(notice))
}

/// The text ending with one full stop (or another closing mark).
pub(crate) fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?', '…']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

/// Parses a configured base URL; `Err` is a notice sentence for the user.
pub(crate) fn parse_base(what: &str, base: &str) -> Result<Url, String> {
    let base = base.trim();
    match Url::parse(base) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(format!(
            "“{base}” is not an http(s) address for {what}; nothing was fetched."
        )),
    }
}

/// A page holding one notice and no candidates.
pub(crate) fn notice_page(notice: String) -> SourcePage {
    SourcePage {
        candidates: Vec::new(),
        total: None,
        notices: vec![notice],
    }
}

/// Text from any JSON scalar: strings as they are, numbers and booleans
/// written out, `null`, arrays and objects as the empty string.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A non-negative integer from a JSON number (integral floats too) or a
/// numeric string; `None` otherwise.
pub(crate) fn value_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `deserialize_with` for a text field: accepts a string, a number, or `null`.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_text(&Value::deserialize(d)?))
}

/// `deserialize_with` for an optional count: anything unusable is `None`.
pub(crate) fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(value_u64(&Value::deserialize(d)?))
}

/// `deserialize_with` for an optional pixel size: anything unusable is `None`.
pub(crate) fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(value_u64(&Value::deserialize(d)?).and_then(|n| u32::try_from(n).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_status_sentences() {
        let e = status_error("Wikimedia Commons", 403, None);
        assert_eq!(e.to_string(), "Wikimedia Commons answered 403 Forbidden.");
        assert!(!e.is_transient());
        let e = status_error("Openverse", 503, Some(" 5 "));
        assert!(e.is_transient());
        assert_eq!(
            e,
            SourceError::Http {
                status: 503,
                message: "Openverse is having trouble (503 Service Unavailable); trying again later may work (it asks to wait 5 seconds).".into(),
                retry_after: Some("5".into()),
            }
        );
        assert!(status_error("X", 408, None).is_transient());
        assert_eq!(status_error("X", 499, None).to_string(), "X answered 499.");
        assert!(check_status("X", 204, None).is_ok());
        assert!(check_status("X", 301, None).is_err());
    }

    #[test]
    fn shared_malformed_names_the_service() {
        let e = parse_json::<Value>("Openverse", "<html>oops</html>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Openverse sent an answer this app cannot read: it sent an HTML page instead of JSON."
        );
        assert!(matches!(
            parse_json::<Value>("Openverse", "  "),
            Err(SourceError::Malformed { .. })
        ));
        assert!(matches!(
            parse_json::<Value>("Openverse", "{\"a\":"),
            Err(SourceError::Malformed { .. })
        ));
        assert!(parse_json::<Value>("Openverse", "\u{feff}{}").is_ok());
    }

    #[test]
    fn malformed_json_reads_as_a_sentence_without_parser_detail() {
        let said = |body: &str| {
            parse_json::<Value>("Openverse", body)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            said("{\"results\": [1, 2"),
            "Openverse sent an answer this app cannot read: it was cut off before its end."
        );
        assert_eq!(
            said("{results: 1}"),
            "Openverse sent an answer this app cannot read: it is not valid JSON."
        );
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            results: Vec<u8>,
        }
        let e = parse_json::<Needs>("Openverse", "{\"count\": 1}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Openverse sent an answer this app cannot read: it lacks what this service always sends."
        );
        for body in ["{\"a\":", "[1,", "{x}", "nul"] {
            let text = said(body);
            assert!(!text.contains("line") && !text.contains("column"), "{text}");
        }
    }

    #[test]
    fn queries_within_the_limit_are_only_tidied() {
        assert_eq!(
            fit_query("X", "  misty   lake ", 200),
            ("misty lake".into(), None)
        );
        // Emoji and right-to-left text pass through whole.
        let q = "🌊 אגם כחול lake";
        assert_eq!(fit_query("X", q, 200), (q.to_string(), None));
        // Characters are counted, not bytes: 200 four-byte emoji fit 200.
        let emoji = "🦊".repeat(200);
        assert_eq!(fit_query("X", &emoji, 200).0, emoji);
    }

    #[test]
    fn long_queries_are_cut_at_a_word_end_with_a_notice() {
        let words = "lake ".repeat(60); // 300 characters with the last space
        let (q, notice) = fit_query("Openverse", &words, 200);
        assert_eq!(q.chars().count(), 199);
        assert!(q.ends_with("lake"));
        assert_eq!(
            notice.unwrap(),
            "Openverse searches at most 200 characters; this query has 299, so only its first 199 were searched."
        );
        // Right-to-left words are cut the same way, on characters.
        let hebrew = "אגם ".repeat(100);
        let (q, _) = fit_query("X", &hebrew, 300);
        assert!(q.chars().count() <= 300 && q.ends_with("אגם"));
        // One long word: cut at the limit.
        let (q, _) = fit_query("X", &"a".repeat(301), 300);
        assert_eq!(q.len(), 300);
        // A family emoji (joined by U+200D) is not left with a dangling joiner.
        let family = "👨\u{200d}👩\u{200d}👧";
        let long = format!("{}{family}{family}", "b".repeat(197));
        let (q, _) = fit_query("X", &long, 200);
        assert!(!q.ends_with('\u{200d}'), "{q:?}");
        assert!(q.chars().count() <= 200);
    }

    proptest::proptest! {
        #[test]
        fn fitted_queries_never_pass_the_limit(q in "\\PC{0,400}", max in 1usize..320) {
            let (fitted, notice) = fit_query("X", &q, max);
            proptest::prop_assert!(fitted.chars().count() <= max);
            proptest::prop_assert_eq!(notice.is_some(), q.split_whitespace().collect::<Vec<_>>().join(" ").chars().count() > max);
            proptest::prop_assert!(!fitted.ends_with('\u{200d}'), "ends with a joiner: {:?}", fitted);
        }
    }

    #[test]
    fn shared_lenient_numbers() {
        assert_eq!(value_u64(&serde_json::json!(12)), Some(12));
        assert_eq!(value_u64(&serde_json::json!(12.0)), Some(12));
        assert_eq!(value_u64(&serde_json::json!(12.5)), None);
        assert_eq!(value_u64(&serde_json::json!(-3)), None);
        assert_eq!(value_u64(&serde_json::json!("42")), Some(42));
        assert_eq!(value_u64(&serde_json::json!(null)), None);
    }
}
