//! URL lists, as img2dataset reads them: either one image URL a line, or CSV
//! (RFC 4180: quoted fields with commas, doubled quotes and line breaks, CRLF
//! or LF) whose header row has a `url` column and optionally a `caption` (or
//! `title`) column. A tab-separated file with such a header works too.
//!
//! Blank lines and `#` comment lines are skipped silently; a line that is not
//! an http(s) URL is skipped with a notice naming its line number (at most 20
//! such notices, then one saying how many more were skipped). Duplicates are
//! kept: the collector removes them.
//!
//! [`UrlList::at`] fetches a list from a URL (one request, then done);
//! [`UrlList::from_text`] reads pasted text or an opened file (ready at once).

use url::Url;

use super::shared::{check_status, notice_page, parse_base};
use super::text::{absolute_http, clean};
use super::{Source, SourceError, SourcePage, SourceRequest, Step};
use crate::core::candidate::Candidate;

/// Skip notices given one by one before they are only counted.
const MAX_NOTICES: usize = 20;

/// A URL list, fetched or given as text.
#[derive(Clone, Debug)]
pub struct UrlList {
    state: State,
}

#[derive(Clone, Debug)]
enum State {
    /// Fetch the list from this URL (or say why it cannot be fetched).
    At(Result<Url, String>),
    /// The list's text, to be read on the next step.
    Text(String),
    Done,
}

impl UrlList {
    /// The list at `url` (an http(s) URL of a text or CSV file).
    pub fn at(url: &str) -> Self {
        UrlList {
            state: State::At(parse_base("a URL list", url)),
        }
    }

    /// A list given as text (pasted, or read from a file).
    pub fn from_text(text: &str) -> Self {
        UrlList {
            state: State::Text(text.to_string()),
        }
    }
}

impl Source for UrlList {
    fn next(&mut self, _wanted: usize) -> Step {
        match std::mem::replace(&mut self.state, State::Done) {
            State::At(Ok(url)) => {
                let step = Step::Fetch(SourceRequest {
                    url: url.as_str().to_string(),
                    headers: Vec::new(),
                });
                // Stays put until an answer is read, so a failed fetch can be retried.
                self.state = State::At(Ok(url));
                step
            }
            State::At(Err(notice)) => Step::Ready(notice_page(notice)),
            State::Text(text) => Step::Ready(parse(&text)),
            State::Done => Step::Done,
        }
    }

    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<SourcePage, SourceError> {
        let service = match &self.state {
            State::At(Ok(url)) => format!(
                "The URL list's server {}",
                url.host_str().unwrap_or_default()
            ),
            _ => "The URL list's server".to_string(),
        };
        check_status(&service, status, retry_after)?;
        self.state = State::Done;
        Ok(parse(body))
    }
}

/// The candidates of a URL list, with notices for the lines skipped.
pub fn parse(text: &str) -> SourcePage {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Collected::default();
    match header(text) {
        Some(layout) => read_table(text, &layout, &mut out),
        None => read_lines(text, &mut out),
    }
    out.finish()
}

#[derive(Default)]
struct Collected {
    candidates: Vec<Candidate>,
    notices: Vec<String>,
    more_skipped: usize,
    last_notice: Option<String>,
}

impl Collected {
    fn skip(&mut self, notice: String) {
        if self.notices.len() < MAX_NOTICES {
            self.notices.push(notice);
        } else {
            self.more_skipped += 1;
        }
    }

    fn add(&mut self, line: usize, url: &str, caption: &str) {
        let url = url.trim();
        match absolute_http(url, None) {
            Some(checked) if !url.chars().any(char::is_whitespace) => {
                self.candidates.push(Candidate {
                    url: checked,
                    caption: clean(caption),
                    ..Candidate::default()
                })
            }
            _ => self.skip(format!("line {line} is not an http(s) URL; skipped.")),
        }
    }

    fn finish(mut self) -> SourcePage {
        match self.more_skipped {
            0 => {}
            1 => self.notices.push("and 1 more line skipped.".to_string()),
            n => self.notices.push(format!("and {n} more lines skipped.")),
        }
        self.notices.extend(self.last_notice);
        if self.candidates.is_empty() && self.notices.is_empty() {
            self.notices.push("The list has no URLs.".to_string());
        }
        SourcePage {
            candidates: self.candidates,
            total: None,
            notices: self.notices,
        }
    }
}

/// Physical lines with their 1-based numbers, without their line ends.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
}

fn is_skipped_silently(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// One URL a line.
fn read_lines(text: &str, out: &mut Collected) {
    for (number, line) in numbered_lines(text) {
        if !is_skipped_silently(line) {
            out.add(number, line, "");
        }
    }
}

/// Where the columns are in a table with a header row.
struct Layout {
    delimiter: char,
    /// The physical line after the header.
    body_line: usize,
    /// Byte offset of the text after the header row.
    body_start: usize,
    url: usize,
    caption: Option<usize>,
}

/// The layout of a CSV (or tab-separated) list, if the first line that is not
/// blank or a comment is a header row with a `url` column.
fn header(text: &str) -> Option<Layout> {
    let mut offset = 0;
    for (number, line) in numbered_lines(text) {
        let line_end = offset + line.len();
        // Skip past this line's own end ("\r\n" or "\n").
        let next = text[line_end..]
            .find('\n')
            .map_or(text.len(), |i| line_end + i + 1);
        if is_skipped_silently(line) {
            offset = next;
            continue;
        }
        for delimiter in [',', '\t', ';'] {
            if !line.contains(delimiter) && !line.trim().eq_ignore_ascii_case("url") {
                continue;
            }
            let (records, _) = records(line, delimiter, number);
            let Some(record) = records.first() else {
                continue;
            };
            let names: Vec<String> = record
                .fields
                .iter()
                .map(|f| f.trim().to_ascii_lowercase())
                .collect();
            let Some(url) = names.iter().position(|n| n == "url") else {
                continue;
            };
            let caption = names
                .iter()
                .position(|n| n == "caption")
                .or_else(|| names.iter().position(|n| n == "title"));
            return Some(Layout {
                delimiter,
                body_line: number + 1,
                body_start: next,
                url,
                caption,
            });
        }
        return None;
    }
    None
}

/// Rows of a table after its header row.
fn read_table(text: &str, layout: &Layout, out: &mut Collected) {
    let body = text.get(layout.body_start..).unwrap_or("");
    let (rows, unclosed) = records(body, layout.delimiter, layout.body_line);
    for row in rows {
        let url = row.fields.get(layout.url).map(String::as_str).unwrap_or("");
        let caption = layout
            .caption
            .and_then(|c| row.fields.get(c))
            .map(String::as_str)
            .unwrap_or("");
        out.add(row.line, url, caption);
    }
    if let Some(line) = unclosed {
        out.last_notice = Some(format!(
            "line {line} opens a quote that is never closed; the rest of the list was skipped."
        ));
    }
}

/// One CSV record and the physical line it starts on.
#[derive(Debug, PartialEq)]
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits `text` into RFC 4180 records: fields separated by `delimiter`,
/// records by CRLF or LF; a field starting with `"` is quoted, may hold the
/// delimiter, line breaks and `""` for a quote. Blank lines and lines starting
/// with `#` (outside quotes) are skipped. Lenient where the RFC is strict: a
/// quote inside an unquoted field is kept as text, text after a closing quote
/// is kept, spaces before an opening quote are dropped. Returns the records and,
/// when the text ends inside a quoted field, the line where that record began
/// (that record is dropped).
fn records(text: &str, delimiter: char, first_line: usize) -> (Vec<Record>, Option<usize>) {
    let mut records = Vec::new();
    let mut line = first_line;
    let mut rest = text;
    loop {
        if rest.is_empty() {
            return (records, None);
        }
        // Silently skipped lines are only recognised at the start of a record.
        let physical = rest.split('\n').next().unwrap_or("");
        if is_skipped_silently(physical) {
            rest = rest.get(physical.len() + 1..).unwrap_or("");
            line += 1;
            continue;
        }
        let start_line = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut was_quoted = false;
        let mut chars = rest.char_indices().peekable();
        let mut consumed = rest.len();
        let mut ended = false;
        while let Some((i, c)) = chars.next() {
            if in_quotes {
                if c == '"' {
                    if chars.peek().is_some_and(|&(_, n)| n == '"') {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                    }
                } else {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' if !was_quoted && field.trim().is_empty() => {
                    field.clear();
                    in_quotes = true;
                    was_quoted = true;
                }
                '\r' if chars.peek().is_some_and(|&(_, n)| n == '\n') => {}
                '\n' => {
                    line += 1;
                    consumed = i + 1;
                    ended = true;
                    break;
                }
                c if c == delimiter => {
                    fields.push(std::mem::take(&mut field));
                    was_quoted = false;
                }
                c => field.push(c),
            }
        }
        if in_quotes {
            return (records, Some(start_line));
        }
        fields.push(field);
        records.push(Record {
            line: start_line,
            fields,
        });
        rest = if ended {
            rest.get(consumed..).unwrap_or("")
        } else {
            ""
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = include_str!("../../../tests/fixtures/urls.txt");
    const CSV: &str = include_str!("../../../tests/fixtures/urls.csv");

    fn urls(page: &SourcePage) -> Vec<&str> {
        page.candidates.iter().map(|c| c.url.as_str()).collect()
    }

    #[test]
    fn url_list_one_url_a_line() {
        let page = parse(TXT);
        assert_eq!(
            urls(&page),
            [
                "https://upload.wikimedia.org/wikipedia/commons/6/6e/Lake_Bled_from_the_castle.jpg",
                "http://127.0.0.1:8765/images/12.jpg",
                "https://example.org/images/%D7%90%D7%92%D7%9D.png",
                "https://example.org/images/%E6%B9%96.jpg",
                "http://127.0.0.1:8765/images/12.jpg",
            ]
        );
        assert_eq!(
            page.notices,
            [
                "line 5 is not an http(s) URL; skipped.",
                "line 7 is not an http(s) URL; skipped.",
                "line 9 is not an http(s) URL; skipped.",
            ]
        );
        assert!(page
            .candidates
            .iter()
            .all(|c| c.caption.is_empty() && c.title.is_empty()));
    }

    #[test]
    fn url_list_keeps_duplicates() {
        let page = parse("https://a.org/x.jpg\nhttps://a.org/x.jpg\n");
        assert_eq!(urls(&page), ["https://a.org/x.jpg", "https://a.org/x.jpg"]);
    }

    #[test]
    fn url_list_csv_with_quotes() {
        let page = parse(CSV);
        let got: Vec<(&str, &str)> = page
            .candidates
            .iter()
            .map(|c| (c.url.as_str(), c.caption.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("https://example.org/a.jpg", "A lake, with fog"),
                ("https://example.org/b.jpg", "She said \"hello\""),
                ("https://example.org/c.jpg", "two lines"),
                ("https://example.org/d.jpg", ""),
                ("https://example.org/e.jpg", "אגם 🌊 مرحبا"),
            ]
        );
        assert_eq!(page.notices, ["line 8 is not an http(s) URL; skipped."]);
    }

    #[test]
    fn url_list_csv_header_anywhere_and_other_columns() {
        let text = "# exported\r\n\r\nkey,caption,URL,width\r\n1,\"x, y\",https://a.org/1.png,10\r\n2,z\r\n";
        let page = parse(text);
        assert_eq!(urls(&page), ["https://a.org/1.png"]);
        assert_eq!(page.candidates[0].caption, "x, y");
        assert_eq!(page.notices, ["line 5 is not an http(s) URL; skipped."]);
        // LF only, no trailing newline, a `title` column as the caption.
        let page = parse("title,url\nLake,https://a.org/2.png");
        assert_eq!(page.candidates[0].caption, "Lake");
        // A header of just `url`.
        let page = parse("url\nhttps://a.org/3.png\n");
        assert_eq!(urls(&page), ["https://a.org/3.png"]);
    }

    #[test]
    fn url_list_tab_separated() {
        let page = parse("url\tcaption\nhttps://a.org/1.png\tA, b\n");
        assert_eq!(page.candidates[0].caption, "A, b");
        assert_eq!(urls(&page), ["https://a.org/1.png"]);
    }

    #[test]
    fn url_list_crlf_lines() {
        let page = parse("https://a.org/1.png\r\nhttps://a.org/2.png\r\nnope\r\n");
        assert_eq!(urls(&page), ["https://a.org/1.png", "https://a.org/2.png"]);
        assert_eq!(page.notices, ["line 3 is not an http(s) URL; skipped."]);
    }

    #[test]
    fn url_list_skips_non_http_and_urls_with_spaces() {
        let page = parse("javascript:alert(1)\ndata:image/png;base64,AA\nhttps://a.org/x.jpg a caption\n/relative.jpg\n");
        assert!(page.candidates.is_empty());
        assert_eq!(page.notices.len(), 4);
        assert_eq!(page.notices[0], "line 1 is not an http(s) URL; skipped.");
    }

    #[test]
    fn url_list_notices_are_capped() {
        let text: String =
            (1..=25).map(|i| format!("bad {i}\n")).collect::<String>() + "https://a.org/ok.jpg\n";
        let page = parse(&text);
        assert_eq!(urls(&page), ["https://a.org/ok.jpg"]);
        assert_eq!(page.notices.len(), 21);
        assert_eq!(page.notices[19], "line 20 is not an http(s) URL; skipped.");
        assert_eq!(page.notices[20], "and 5 more lines skipped.");
        let text: String = (1..=21).map(|i| format!("bad {i}\n")).collect();
        assert_eq!(parse(&text).notices[20], "and 1 more line skipped.");
    }

    #[test]
    fn url_list_unclosed_quote() {
        let page = parse("url,caption\nhttps://a.org/1.png,ok\nhttps://a.org/2.png,\"never closed\nhttps://a.org/3.png,x\n");
        assert_eq!(urls(&page), ["https://a.org/1.png"]);
        assert_eq!(
            page.notices,
            ["line 3 opens a quote that is never closed; the rest of the list was skipped."]
        );
    }

    #[test]
    fn url_list_empty_text_says_so() {
        assert_eq!(parse("").notices, ["The list has no URLs."]);
        assert_eq!(
            parse("# only a comment\n\n").notices,
            ["The list has no URLs."]
        );
        assert_eq!(parse("\u{feff}https://a.org/1.png").candidates.len(), 1);
    }

    #[test]
    fn url_list_csv_records_parser() {
        let (rows, unclosed) = records(
            "a,\"b,c\",\"d\"\"e\"\r\n\"multi\r\nline\",f\n  \"g\" ,h",
            ',',
            1,
        );
        assert_eq!(unclosed, None);
        assert_eq!(
            rows,
            [
                Record {
                    line: 1,
                    fields: vec!["a".into(), "b,c".into(), "d\"e".into()]
                },
                Record {
                    line: 2,
                    fields: vec!["multi\r\nline".into(), "f".into()]
                },
                Record {
                    line: 4,
                    fields: vec!["g ".into(), "h".into()]
                },
            ]
        );
        let (rows, _) = records("a\"b,c\n,\n", ',', 1);
        assert_eq!(rows[0].fields, ["a\"b", "c"]);
        assert_eq!(rows[1].fields, ["", ""]);
    }

    #[test]
    fn url_list_from_text_is_ready_once() {
        let mut list = UrlList::from_text("https://a.org/1.png\n");
        match list.next(1) {
            Step::Ready(page) => assert_eq!(urls(&page), ["https://a.org/1.png"]),
            other => panic!("expected Ready, got {other:?}"),
        }
        assert_eq!(list.next(1), Step::Done);
        assert_eq!(list.next(1), Step::Done);
    }

    #[test]
    fn url_list_at_fetches_once_then_done() {
        let at = "http://127.0.0.1:8765/api/urls.csv?q=lake&max=5";
        let mut list = UrlList::at(at);
        let fetch = Step::Fetch(SourceRequest {
            url: at.to_string(),
            headers: Vec::new(),
        });
        assert_eq!(list.next(10), fetch);
        let e = list.read(503, Some("2"), "").unwrap_err();
        assert!(e.is_transient());
        assert_eq!(list.next(10), fetch, "a failed fetch can be retried");
        let e = list.read(404, None, "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The URL list's server 127.0.0.1 answered 404 Not Found."
        );
        let page = list.read(200, None, CSV).expect("reads");
        assert_eq!(page.candidates.len(), 5);
        assert_eq!(list.next(10), Step::Done);
    }

    #[test]
    fn url_list_at_a_bad_url_is_a_notice() {
        let mut list = UrlList::at("javascript:alert(1)");
        assert!(
            matches!(list.next(1), Step::Ready(page) if page.notices.len() == 1 && page.candidates.is_empty())
        );
        assert_eq!(list.next(1), Step::Done);
    }

    proptest::proptest! {
        #[test]
        fn url_list_never_panics(s in "[a-z:/.,\"\r\n\t# ]{0,120}") {
            let page = parse(&s);
            proptest::prop_assert!(page.notices.len() <= MAX_NOTICES + 2);
            for c in &page.candidates {
                proptest::prop_assert!(c.url.starts_with("http://") || c.url.starts_with("https://"));
            }
        }

        #[test]
        fn url_list_never_panics_on_any_text(s in "\\PC{0,120}") {
            let _ = parse(&s);
        }
    }
}
