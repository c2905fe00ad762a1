//! What a collection decides about a candidate before any download, and
//! about a source's failed answer: the rules of intake.
//!
//! - A candidate is refused when its URL cannot be fetched, when the same
//!   URL came before (a duplicate), or when what the source says of it (its
//!   size, license or type) is outside the user's filters.
//! - A source's failure is worth trying again when it is transient (a 429,
//!   a 5xx, a timeout, no answer at all), after the wait the retry policy
//!   and the service's `Retry-After` say; any other is final.

use std::collections::HashSet;

use crate::core::candidate::Candidate;
use crate::core::image_check::filter_size;
use crate::core::ledger::Settled;
use crate::core::protocol::Checks;
use crate::core::retry::{parse_retry_after, Decision, Failure, RetryPolicy};
use crate::core::settings::Settings;
use crate::core::source::SourceError;
use crate::core::urls::normalize;

/// The URL to fetch for `c` (normalized), or how it settles without a download.
/// `urls_seen` learns the URL.
pub fn admit(
    c: &Candidate,
    settings: &Settings,
    checks: &Checks,
    urls_seen: &mut HashSet<String>,
) -> Result<String, Settled> {
    let url = normalize(&c.url).map_err(|e| Settled::Failed(e.to_string()))?;
    if !urls_seen.insert(url.clone()) {
        return Err(Settled::Duplicate);
    }
    if let (Some(w), Some(h)) = (c.width, c.height) {
        filter_size(w, h, checks).map_err(|r| Settled::Filtered(r.to_string()))?;
    }
    if !settings.licenses.is_empty()
        && !settings
            .licenses
            .iter()
            .any(|l| l.eq_ignore_ascii_case(c.license.trim()))
    {
        return Err(Settled::Filtered(format!(
            "its license ({}) is not one of those chosen",
            c.license
        )));
    }
    if let Some(mime) = &c.mime {
        let kind = mime.trim_start_matches("image/");
        if !checks.file_types.is_empty()
            && !checks
                .file_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(kind))
        {
            return Err(Settled::Filtered(format!(
                "it is {kind}, not one of the file types chosen"
            )));
        }
    }
    Ok(url)
}

/// Why a source's request failed, as the collection sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceTrouble {
    /// The service answered, and not with candidates.
    Answer(SourceError),
    /// Nothing answered; the sentence says why.
    Unreachable(String),
}

impl SourceTrouble {
    /// The sentence for the user.
    pub fn sentence(&self) -> String {
        match self {
            SourceTrouble::Answer(e) => e.to_string(),
            SourceTrouble::Unreachable(s) => s.clone(),
        }
    }
}

/// Whether to ask the source again, and when: `retries_so_far` failures in
/// a row came before this one. A 429 or 503 waits as its `Retry-After`
/// says (read at `now_unix_ms`); `jitter` in [0, 1) spreads the back-off.
pub fn retry_source(
    trouble: &SourceTrouble,
    retries: u32,
    retries_so_far: u32,
    now_unix_ms: f64,
    jitter: f64,
) -> Decision {
    let policy = RetryPolicy {
        max_retries: retries,
        ..RetryPolicy::default()
    };
    let failure = match trouble {
        SourceTrouble::Unreachable(s) => Failure::Network(s.clone()),
        SourceTrouble::Answer(e) if !e.is_transient() => return Decision::GiveUp(e.to_string()),
        SourceTrouble::Answer(e) => {
            let (status, retry_after) = match e {
                SourceError::Http {
                    status,
                    retry_after,
                    ..
                } => (*status, retry_after.as_deref()),
                SourceError::Malformed { .. } => (0, None),
            };
            Failure::Status {
                status,
                retry_after_ms: retry_after.and_then(|v| parse_retry_after(v, now_unix_ms)),
            }
        }
    };
    match policy.decide(&failure, retries_so_far, jitter) {
        Decision::GiveUp(_) => Decision::GiveUp(trouble.sentence()),
        wait => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(url: &str) -> Candidate {
        Candidate {
            url: url.into(),
            ..Candidate::default()
        }
    }

    #[test]
    fn a_url_twice_is_a_duplicate_and_a_bad_one_fails() {
        let (s, c) = (Settings::default(), Checks::default());
        let mut seen = HashSet::new();
        assert!(admit(&candidate("http://a.example/1.jpg"), &s, &c, &mut seen).is_ok());
        assert_eq!(
            admit(&candidate("http://a.example/1.jpg"), &s, &c, &mut seen),
            Err(Settled::Duplicate)
        );
        assert!(matches!(
            admit(&candidate("javascript:alert(1)"), &s, &c, &mut seen),
            Err(Settled::Failed(_))
        ));
    }

    #[test]
    fn licenses_sizes_and_types_the_source_gives_filter_before_download() {
        let settings = Settings {
            licenses: vec!["CC0 1.0".into()],
            ..Settings::default()
        };
        let checks = Checks {
            min_width: 500,
            file_types: vec!["png".into()],
            ..Checks::default()
        };
        let mut seen = HashSet::new();
        let mut c = candidate("http://a.example/1.jpg");
        c.license = "CC BY 4.0".into();
        let verdict = admit(&c, &settings, &Checks::default(), &mut seen);
        assert_eq!(
            verdict,
            Err(Settled::Filtered(
                "its license (CC BY 4.0) is not one of those chosen".into()
            ))
        );
        let mut c = candidate("http://a.example/2.jpg");
        (c.width, c.height) = (Some(300), Some(200));
        assert!(matches!(
            admit(&c, &Settings::default(), &checks, &mut seen),
            Err(Settled::Filtered(_))
        ));
        let mut c = candidate("http://a.example/3.jpg");
        c.mime = Some("image/jpeg".into());
        assert_eq!(
            admit(&c, &Settings::default(), &checks, &mut seen),
            Err(Settled::Filtered(
                "it is jpeg, not one of the file types chosen".into()
            ))
        );
    }

    #[test]
    fn a_429_waits_as_asked_and_a_404_gives_up_with_the_sources_sentence() {
        let busy = SourceTrouble::Answer(SourceError::Http {
            status: 429,
            message: "Openverse asks us to slow down".into(),
            retry_after: Some("7".into()),
        });
        assert!(matches!(
            retry_source(&busy, 3, 0, 0.0, 0.5),
            Decision::RetryIn { ms: 7_000, .. }
        ));
        assert_eq!(
            retry_source(&busy, 3, 3, 0.0, 0.5),
            Decision::GiveUp("Openverse asks us to slow down".into())
        );
        let gone = SourceTrouble::Answer(SourceError::Http {
            status: 404,
            message: "Openverse answered 404 Not Found.".into(),
            retry_after: None,
        });
        assert_eq!(
            retry_source(&gone, 3, 0, 0.0, 0.5),
            Decision::GiveUp("Openverse answered 404 Not Found.".into())
        );
        let down = SourceTrouble::Unreachable("nothing answered".into());
        assert!(matches!(
            retry_source(&down, 3, 0, 0.0, 0.5),
            Decision::RetryIn { .. }
        ));
    }
}
