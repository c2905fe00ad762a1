//! Provider text to plain text.
//!
//! Providers send "HTML-ish" text: MediaWiki's extmetadata values are HTML
//! fragments (`<a href="…">Name</a>`, `<span class="int-own-work">Own work</span>`,
//! entities such as `&amp;` and `&#39;`), and Openverse titles sometimes carry
//! entities too. The app shows credits as text, never as HTML, so [`plain`]
//! strips tags, decodes entities, collapses whitespace and trims. [`clean`]
//! only collapses whitespace (for text that is already plain), and
//! [`http_only`] keeps a link only when it is an absolute http(s) URL, so a
//! `javascript:` or `data:` link from a provider can never reach a page.

use url::Url;

/// Tags after which words should not run together ("a<br>b" is "a b").
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Plain text from an HTML fragment: tags removed (with the content of
/// `<script>` and `<style>`), entities decoded, whitespace collapsed to single
/// spaces, control characters dropped, ends trimmed. A `<` that does not start
/// a tag (as in "a < b") is kept as text.
pub fn plain(html: &str) -> String {
    clean(&decode_entities(&strip_tags(html)))
}

/// Collapses runs of whitespace (including no-break spaces and line breaks)
/// into one space, drops other control characters and trims the ends.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if c.is_control() {
            // Dropped: a control character is never meant to be shown.
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// The link as an absolute http(s) URL, or the empty string for anything else
/// (`javascript:`, `data:`, `mailto:`, relative or unparsable links). The
/// result is the URL in its normalised (percent-encoded) form.
pub fn http_only(link: &str) -> String {
    absolute_http(link.trim(), None).unwrap_or_default()
}

/// `link` as an absolute http(s) URL: parsed as is, or, when it is relative
/// (e.g. protocol-relative `//upload.wikimedia.org/…`) and a `base` is given,
/// joined to it. `None` when the result is not http(s).
pub(crate) fn absolute_http(link: &str, base: Option<&Url>) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let parsed = match Url::parse(link) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(link).ok()?,
        Err(_) => return None,
    };
    match parsed.scheme() {
        "http" | "https" if parsed.host().is_some() => Some(parsed.into()),
        _ => None,
    }
}

/// Removes tags, comments and the content of script/style elements. Tags that
/// separate blocks become a space.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !starts_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = match comment.find("-->") {
                Some(end) => &comment[end + 3..],
                None => "",
            };
            continue;
        }
        let Some(end) = tag_end(after) else {
            // An unclosed tag runs to the end: nothing after it is text.
            rest = "";
            break;
        };
        let inside = &after[..end];
        rest = &after[end + 1..];
        let closing = inside.starts_with('/');
        let name: String = inside
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if BLOCK_TAGS.contains(&name.as_str()) {
            out.push(' ');
        }
        if !closing && (name == "script" || name == "style") && !inside.ends_with('/') {
            let close = format!("</{name}");
            rest = match find_ascii_case_insensitive(rest, &close) {
                Some(at) => {
                    let tail = &rest[at..];
                    match tail.find('>') {
                        Some(gt) => &tail[gt + 1..],
                        None => "",
                    }
                }
                None => "",
            };
        }
    }
    out.push_str(rest);
    out
}

/// Index of the `>` that ends a tag whose text starts at `s` (just after its
/// `<`), skipping `>` inside quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '>' => return Some(i),
            None => {}
        }
    }
    None
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Decodes character references: the common named ones, decimal `&#39;` and
/// hexadecimal `&#x27;`. Unknown or unterminated references stay as written;
/// numeric ones naming no character become U+FFFD.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // A reference is short; look for its `;` within a few characters.
        let semi = after
            .char_indices()
            .take(32)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|semi| decode_one(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_one(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            u32::from_str_radix(hex, 16).unwrap_or(u32::MAX)
        } else {
            if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            num.parse::<u32>().unwrap_or(u32::MAX)
        };
        return Some(match code {
            0 => '\u{FFFD}',
            _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
        });
    }
    let c = match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "shy" => '\u{AD}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "deg" => '°',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "sect" => '§',
        "para" => '¶',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "iexcl" => '¡',
        "iquest" => '¿',
        "lrm" => '\u{200E}',
        "rlm" => '\u{200F}',
        "zwj" => '\u{200D}',
        "zwnj" => '\u{200C}',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Igrave" => 'Ì',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "Ntilde" => 'Ñ',
        "Ograve" => 'Ò',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Ugrave" => 'Ù',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "Yacute" => 'Ý',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "yuml" => 'ÿ',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strips_a_mediawiki_artist_link() {
        let html = r#"<a href="//commons.wikimedia.org/wiki/User:Jane_Doe" title="User:Jane Doe">Jane Doe</a>"#;
        assert_eq!(plain(html), "Jane Doe");
    }

    #[test]
    fn text_strips_spans_and_keeps_words_apart_across_blocks() {
        assert_eq!(
            plain(r#"<span class="int-own-work" lang="en">Own work</span>"#),
            "Own work"
        );
        assert_eq!(plain("<p>one</p><p>two</p>"), "one two");
        assert_eq!(plain("line<br/>break"), "line break");
        assert_eq!(plain("<b>bold</b>ly"), "boldly");
    }

    #[test]
    fn text_decodes_entities() {
        assert_eq!(plain("Tom &amp; Jerry"), "Tom & Jerry");
        assert_eq!(
            plain("&quot;quoted&quot; &#39;one&#39; &#x27;two&#X27;"),
            "\"quoted\" 'one' 'two'"
        );
        assert_eq!(plain("a&nbsp;&nbsp;b"), "a b");
        assert_eq!(plain("&lt;b&gt;not a tag&lt;/b&gt;"), "<b>not a tag</b>");
        assert_eq!(plain("caf&eacute; &mdash; &copy; 2020"), "café — © 2020");
        assert_eq!(plain("&#128247; camera"), "📷 camera");
    }

    #[test]
    fn text_leaves_unknown_or_broken_entities_alone() {
        assert_eq!(plain("AT&T &unknown; &amp"), "AT&T &unknown; &amp");
        assert_eq!(
            plain("&#xD800; &#0; &#99999999999;"),
            "\u{FFFD} \u{FFFD} \u{FFFD}"
        );
        assert_eq!(plain("&#;&#x;"), "&#;&#x;");
    }

    #[test]
    fn text_collapses_whitespace_and_trims() {
        assert_eq!(plain("  a \n\t b\r\n  c  "), "a b c");
        assert_eq!(clean("\u{0}x\u{7}  y\n"), "x y");
    }

    #[test]
    fn text_keeps_a_less_than_sign_that_is_not_a_tag() {
        assert_eq!(plain("1 < 2 and 3 <4"), "1 < 2 and 3 <4");
        assert_eq!(plain("x <"), "x <");
    }

    #[test]
    fn text_drops_scripts_styles_comments_and_quoted_angle_brackets() {
        assert_eq!(plain("a<script>alert('x<y')</script>b"), "ab");
        assert_eq!(plain("a<STYLE>p{}</Style>b"), "ab");
        assert_eq!(plain("a<!-- <b>hidden</b> -->b"), "ab");
        assert_eq!(plain(r#"<a title="x>y">name</a>"#), "name");
        assert_eq!(plain("text <a href=\"unclosed"), "text");
    }

    #[test]
    fn text_keeps_unicode_and_right_to_left_text() {
        assert_eq!(plain("<bdi>שלום עולם</bdi> 🌍"), "שלום עולם 🌍");
        assert_eq!(plain("<span dir=\"rtl\">مرحبا</span>"), "مرحبا");
    }

    #[test]
    fn text_http_only_keeps_only_http_links() {
        assert_eq!(
            http_only(" https://creativecommons.org/licenses/by/4.0/ "),
            "https://creativecommons.org/licenses/by/4.0/"
        );
        assert_eq!(
            http_only("http://example.org/a b"),
            "http://example.org/a%20b"
        );
        assert_eq!(http_only("javascript:alert(1)"), "");
        assert_eq!(http_only("JavaScript:alert(1)"), "");
        assert_eq!(http_only("data:image/png;base64,AAAA"), "");
        assert_eq!(http_only("mailto:a@b.c"), "");
        assert_eq!(http_only("//example.org/x"), "");
        assert_eq!(http_only("/relative"), "");
        assert_eq!(http_only(""), "");
    }

    #[test]
    fn text_absolute_http_joins_protocol_relative_links() {
        let base = Url::parse("https://commons.wikimedia.org/w/api.php").ok();
        assert_eq!(
            absolute_http("//upload.wikimedia.org/a.jpg", base.as_ref()).as_deref(),
            Some("https://upload.wikimedia.org/a.jpg")
        );
        assert_eq!(absolute_http("javascript:x", base.as_ref()), None);
    }

    proptest::proptest! {
        #[test]
        fn text_never_panics_on_any_input(s in "\\PC{0,80}") {
            let out = plain(&s);
            proptest::prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
            let _ = http_only(&s);
            let _ = decode_entities(&s);
        }
    }
}
