//! Which URLs may be fetched, and their identity for de-duplication.
//!
//! Candidate URLs come from providers and from lists the user pastes, so they
//! are untrusted text. Only plain `http(s)` addresses without credentials are
//! downloaded or shown as links (never `javascript:`, `data:`, `file:`...).
//! The same image is often listed under slightly different spellings
//! (`HTTPS://Example.org:443/a.jpg#top`), so [`normalize`] also gives the one
//! spelling used as the key that detects duplicates.

use std::fmt;

/// Why an address is not fetched. `Display` gives a sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Nothing but whitespace.
    Empty,
    /// Not a complete web address; the text says what is wrong with it.
    NotAnAddress(&'static str),
    /// A scheme other than http or https (stored without the colon).
    Scheme(String),
    /// The address holds a user name or password.
    Credentials,
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlRefusal::Empty => write!(f, "the address is empty"),
            UrlRefusal::NotAnAddress(why) => write!(f, "this is not a web address: {why}"),
            UrlRefusal::Scheme(scheme) => write!(
                f,
                "only http(s) addresses are downloaded; this one is {scheme}:"
            ),
            UrlRefusal::Credentials => {
                write!(f, "addresses with a user name or password are not fetched")
            }
        }
    }
}

impl std::error::Error for UrlRefusal {}

/// Check that `raw` may be fetched and return its normalized spelling, which
/// is also its de-duplication key.
///
/// Trims surrounding whitespace; accepts only absolute `http`/`https` URLs
/// with a host and no user name or password. Normalizes the scheme and host
/// to lower case (international host names to their `xn--` form), drops a
/// default port and the fragment, and keeps the path and query as given
/// (apart from the percent-encoding every browser applies).
pub fn normalize(raw: &str) -> Result<String, UrlRefusal> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(UrlRefusal::Empty);
    }
    let mut url = url::Url::parse(text).map_err(|error| UrlRefusal::NotAnAddress(why(error)))?;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(UrlRefusal::Scheme(scheme.to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlRefusal::NotAnAddress("it has no host name"));
    }
    url.set_fragment(None);
    Ok(url.into())
}

/// Whether `s` is safe to show as a clickable link: the same rule as for
/// fetching (an absolute http(s) address without credentials).
pub fn is_http_link(s: &str) -> bool {
    normalize(s).is_ok()
}

/// A short explanation of a parse error, for [`UrlRefusal::NotAnAddress`].
fn why(error: url::ParseError) -> &'static str {
    use url::ParseError;
    match error {
        ParseError::RelativeUrlWithoutBase => {
            "it is not a full address; it must start with http:// or https://"
        }
        ParseError::EmptyHost => "it has no host name",
        ParseError::InvalidPort => "its port number is not valid",
        ParseError::InvalidIpv4Address | ParseError::InvalidIpv6Address => {
            "its IP address is not valid"
        }
        ParseError::InvalidDomainCharacter => {
            "its host name contains characters that are not allowed"
        }
        ParseError::IdnaError => "its host name is not a valid international domain name",
        _ => "it could not be read as an address",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_fetched() {
        assert_eq!(
            normalize("https://upload.wikimedia.org/a.jpg").as_deref(),
            Ok("https://upload.wikimedia.org/a.jpg")
        );
        assert_eq!(
            normalize("  http://example.org/img.png?w=200\n").as_deref(),
            Ok("http://example.org/img.png?w=200")
        );
        for (raw, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            ("data:image/png;base64,AAAA", "data"),
            ("file:///etc/passwd", "file"),
            ("ftp://example.org/a.jpg", "ftp"),
            ("blob:https://example.org/1234", "blob"),
        ] {
            let refusal = normalize(raw).unwrap_err();
            assert_eq!(refusal, UrlRefusal::Scheme(scheme.into()));
            assert_eq!(
                refusal.to_string(),
                format!("only http(s) addresses are downloaded; this one is {scheme}:")
            );
            assert!(!is_http_link(raw));
        }
        assert_eq!(normalize("   "), Err(UrlRefusal::Empty));
        assert_eq!(
            normalize("").unwrap_err().to_string(),
            "the address is empty"
        );
        let relative = normalize("images/a.jpg").unwrap_err();
        assert_eq!(
            relative.to_string(),
            "this is not a web address: it is not a full address; it must start with http:// or https://"
        );
        for bad in [
            "http://",
            "https://exa mple.org/",
            "http://example.org:99999/",
            "//example.org/a.jpg",
        ] {
            let refusal = normalize(bad).unwrap_err();
            assert!(
                refusal
                    .to_string()
                    .starts_with("this is not a web address: "),
                "{bad}: {refusal}"
            );
        }
        assert!(is_http_link(
            "https://commons.wikimedia.org/wiki/File:A.jpg"
        ));
        assert!(!is_http_link("mailto:someone@example.org"));
    }

    #[test]
    fn normalization_makes_equal_urls_equal() {
        let same = [
            "https://example.org/a/b.jpg?x=1",
            "HTTPS://EXAMPLE.ORG/a/b.jpg?x=1",
            "https://Example.Org:443/a/b.jpg?x=1",
            "https://example.org/a/b.jpg?x=1#section",
            "https://example.org/a/b.jpg?x=1#",
            " https://example.org/a/b.jpg?x=1 ",
        ];
        for raw in same {
            assert_eq!(
                normalize(raw).as_deref(),
                Ok("https://example.org/a/b.jpg?x=1"),
                "{raw}"
            );
        }
        assert_eq!(
            normalize("http://example.org:80/").as_deref(),
            Ok("http://example.org/")
        );
        assert_eq!(
            normalize("http://example.org").as_deref(),
            Ok("http://example.org/")
        );
        // Non-default ports, path case and query stay as given.
        assert_eq!(
            normalize("http://example.org:8080/A.JPG?B=C&a=b").as_deref(),
            Ok("http://example.org:8080/A.JPG?B=C&a=b")
        );
        assert_ne!(
            normalize("https://example.org/a.jpg"),
            normalize("http://example.org/a.jpg")
        );
        assert_ne!(
            normalize("https://example.org/a.jpg"),
            normalize("https://example.org/A.jpg")
        );
    }

    #[test]
    fn credentials_in_urls_are_refused() {
        for raw in [
            "https://user:secret@example.org/a.jpg",
            "https://user@example.org/a.jpg",
            "https://:secret@example.org/a.jpg",
        ] {
            assert_eq!(normalize(raw), Err(UrlRefusal::Credentials), "{raw}");
            assert!(!is_http_link(raw));
        }
        assert_eq!(
            UrlRefusal::Credentials.to_string(),
            "addresses with a user name or password are not fetched"
        );
        // An @ in the path or query is not a credential.
        assert!(normalize("https://example.org/people/@someone.jpg?by=a@b").is_ok());
    }

    #[test]
    fn unicode_hosts_and_paths() {
        let unicode = normalize("https://Bücher.example/Straße.jpg").unwrap();
        assert_eq!(unicode, "https://xn--bcher-kva.example/Stra%C3%9Fe.jpg");
        assert_eq!(
            normalize("https://xn--bcher-kva.example/Stra%C3%9Fe.jpg").as_deref(),
            Ok(unicode.as_str())
        );
        assert_eq!(
            normalize("https://upload.wikimedia.org/wikipedia/commons/a/a9/Ünïcödé 名前.jpg")
                .as_deref(),
            Ok("https://upload.wikimedia.org/wikipedia/commons/a/a9/%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20%E5%90%8D%E5%89%8D.jpg")
        );
        assert!(normalize("https://例え.テスト/画像.png").is_ok());
        assert!(normalize("https://[::1]:8443/a.png").is_ok());
    }
}
