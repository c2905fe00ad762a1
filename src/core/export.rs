//! What an exported collection holds besides its images, and how an exported
//! ZIP is read back: the manifest (JSON lines and CSV, one row per candidate
//! of every state, with img2dataset's column names so the same tools read
//! both), `ATTRIBUTION.md` (a credit line per image, in the form Openverse
//! uses), the `url,caption` list img2dataset takes, and each image's name
//! under `images/`.
//!
//! Provider text goes into Markdown escaped, and into CSV quoted: it stays
//! text wherever it lands.

use serde::{Deserialize, Serialize};

use crate::core::candidate::Candidate;
use crate::core::ledger::Status;
use crate::core::protocol::Collected;
use crate::core::record::ItemRecord;
use crate::core::thumbnail::fit;

/// The manifest's file names in the ZIP.
pub const MANIFEST_JSONL: &str = "manifest.jsonl";
pub const MANIFEST_CSV: &str = "manifest.csv";
pub const ATTRIBUTION: &str = "ATTRIBUTION.md";

/// One manifest row. The first fifteen columns are img2dataset's names; the
/// rest keep what a re-import needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManifestRow {
    /// The candidate's id, nine digits, as img2dataset names its files.
    pub key: String,
    pub url: String,
    /// "success" (collected, img2dataset's word), "failed_to_download",
    /// "duplicate", "filtered" or "cancelled".
    pub status: String,
    pub error_message: String,
    /// The stored image's size: the original's (images are kept as they came).
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub original_width: Option<u32>,
    pub original_height: Option<u32>,
    pub sha256: String,
    pub title: String,
    pub creator: String,
    pub license: String,
    pub license_url: String,
    pub source_page: String,
    pub provider: String,
    pub caption: String,
    /// The provider's own credit sentence, where it gave one.
    pub attribution: String,
    /// Where within the provider it came from (Openverse's `source`).
    pub source: String,
    /// The image's path in the ZIP ("images/000000012.jpg"); empty if none.
    pub file: String,
    /// "jpeg", "png", "webp", "gif"; empty if none.
    pub format: String,
    pub bytes: Option<u64>,
}

/// The column names, in order (the CSV header).
pub const COLUMNS: [&str; 21] = [
    "key",
    "url",
    "status",
    "error_message",
    "width",
    "height",
    "original_width",
    "original_height",
    "sha256",
    "title",
    "creator",
    "license",
    "license_url",
    "source_page",
    "provider",
    "caption",
    "attribution",
    "source",
    "file",
    "format",
    "bytes",
];

/// img2dataset's nine-digit key of a candidate id.
pub fn key_of(id: u32) -> String {
    format!("{id:09}")
}

/// The file extension of a format name.
pub fn extension(format: &str) -> &str {
    match format {
        "jpeg" => "jpg",
        other => other,
    }
}

/// Where a collected image goes in the ZIP.
pub fn image_path(id: u32, format: &str) -> String {
    format!("images/{}.{}", key_of(id), extension(format))
}

impl ManifestRow {
    pub fn of(r: &ItemRecord) -> ManifestRow {
        let c = &r.candidate;
        let collected = r.collected.as_ref().filter(|_| r.is_collected());
        // img2dataset's words where it has them.
        let status = match r.status {
            Status::Collected => "success",
            Status::Failed => "failed_to_download",
            other => other.word(),
        };
        ManifestRow {
            key: key_of(r.id),
            url: c.url.clone(),
            status: status.into(),
            error_message: r.reason.clone(),
            width: collected.map(|k| k.width),
            height: collected.map(|k| k.height),
            original_width: collected.map(|k| k.width),
            original_height: collected.map(|k| k.height),
            sha256: collected.map(|k| k.sha256.clone()).unwrap_or_default(),
            title: c.title.clone(),
            creator: c.creator.clone(),
            license: c.license.clone(),
            license_url: c.license_url.clone(),
            source_page: c.source_page.clone(),
            provider: c.provider.clone(),
            caption: c.caption.clone(),
            attribution: c.attribution.clone(),
            source: c.source.clone(),
            file: collected
                .filter(|k| k.stored)
                .map(|k| image_path(r.id, &k.format))
                .unwrap_or_default(),
            format: collected.map(|k| k.format.clone()).unwrap_or_default(),
            bytes: collected.map(|k| k.bytes),
        }
    }

    /// The record this row was made from, as far as a row can say: a
    /// re-import's. `thumb_px` sizes the thumbnail it will be shown at.
    pub fn record(&self, collection: u32, thumb_px: u32) -> Result<ItemRecord, String> {
        let id = self
            .key
            .parse::<u32>()
            .map_err(|_| format!("its key “{}” is not a number", self.key))?;
        let status = match self.status.as_str() {
            "success" => Status::Collected,
            "failed_to_download" => Status::Failed,
            "duplicate" => Status::Duplicate,
            "filtered" => Status::Filtered,
            "cancelled" => Status::Cancelled,
            other => return Err(format!("its status “{other}” is not one this app writes")),
        };
        let collected = if status == Status::Collected {
            let (Some(width), Some(height)) = (self.original_width, self.original_height) else {
                return Err("it is collected but has no size".into());
            };
            let (thumb_width, thumb_height) = fit(width, height, thumb_px);
            Some(Collected {
                width,
                height,
                format: self.format.clone(),
                bytes: self.bytes.unwrap_or(0),
                sha256: self.sha256.clone(),
                thumb_width,
                thumb_height,
                stored: !self.file.is_empty(),
                decoded_by: None,
            })
        } else {
            None
        };
        Ok(ItemRecord {
            collection,
            id,
            candidate: Candidate {
                url: self.url.clone(),
                title: self.title.clone(),
                creator: self.creator.clone(),
                license: self.license.clone(),
                license_url: self.license_url.clone(),
                source_page: self.source_page.clone(),
                provider: self.provider.clone(),
                caption: self.caption.clone(),
                attribution: self.attribution.clone(),
                source: self.source.clone(),
                ..Candidate::default()
            },
            status,
            reason: self.error_message.clone(),
            collected,
        })
    }

    fn cells(&self) -> [String; 21] {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            self.key.clone(),
            self.url.clone(),
            self.status.clone(),
            self.error_message.clone(),
            n(self.width),
            n(self.height),
            n(self.original_width),
            n(self.original_height),
            self.sha256.clone(),
            self.title.clone(),
            self.creator.clone(),
            self.license.clone(),
            self.license_url.clone(),
            self.source_page.clone(),
            self.provider.clone(),
            self.caption.clone(),
            self.attribution.clone(),
            self.source.clone(),
            self.file.clone(),
            self.format.clone(),
            self.bytes.map(|b| b.to_string()).unwrap_or_default(),
        ]
    }
}

/// One JSON object a line.
pub fn manifest_jsonl(rows: &[ManifestRow]) -> String {
    rows.iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|line| line + "\n")
        .collect()
}

/// A header, then a row per candidate (RFC 4180 quoting).
pub fn manifest_csv(rows: &[ManifestRow]) -> String {
    let mut out = csv_line(COLUMNS.iter().map(|c| c.to_string()));
    for r in rows {
        out.push_str(&csv_line(r.cells().into_iter()));
    }
    out
}

/// Reads `manifest.jsonl` back; a line that is not a row is a sentence.
pub fn parse_manifest(text: &str) -> Result<Vec<ManifestRow>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                format!(
                    "line {} of {MANIFEST_JSONL} is not a manifest row ({e})",
                    i + 1
                )
            })
        })
        .collect()
}

/// `url,caption` for img2dataset (`--input_format csv --url_col url
/// --caption_col caption`): every candidate's URL, once.
pub fn url_list_csv(records: &[ItemRecord]) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = csv_line(["url".to_string(), "caption".to_string()].into_iter());
    for r in records {
        let c = &r.candidate;
        if c.url.is_empty() || !seen.insert(c.url.as_str()) {
            continue;
        }
        let caption = if c.caption.is_empty() {
            &c.title
        } else {
            &c.caption
        };
        out.push_str(&csv_line([c.url.clone(), caption.clone()].into_iter()));
    }
    out
}

fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = cells
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect();
    quoted.join(",") + "\r\n"
}

/// `ATTRIBUTION.md`: a line per collected image, in the form Openverse
/// uses: "“Title” by Creator is licensed under CC BY 4.0.", with the title
/// linking to its source page and the license to its deed.
pub fn attribution_md(name: &str, records: &[ItemRecord]) -> String {
    let mut out = format!(
        "# Attribution: {}\n\nThe images in `images/` and who made them. Each line is \
         one image, named by its file; the license says how it may be used.\n\n",
        markdown_text(name)
    );
    for r in records.iter().filter(|r| r.is_collected()) {
        let Some(k) = &r.collected else { continue };
        out.push_str(&format!(
            "- `{}`: {}\n",
            image_path(r.id, &k.format),
            credit_line(&r.candidate)
        ));
    }
    out
}

/// "[“Title”](page) by Creator is licensed under [CC BY 4.0](deed)."
pub fn credit_line(c: &Candidate) -> String {
    let title = if c.title.trim().is_empty() {
        "Untitled".to_string()
    } else {
        c.title.trim().to_string()
    };
    let title = link(&format!("“{}”", markdown_text(&title)), &c.source_page);
    let by = if c.creator.trim().is_empty() {
        " by an unknown creator".to_string()
    } else {
        format!(" by {}", markdown_text(c.creator.trim()))
    };
    let license = if c.license.trim().is_empty() {
        " (license not given: see its source page)".to_string()
    } else {
        format!(
            " is licensed under {}",
            link(&markdown_text(c.license.trim()), &c.license_url)
        )
    };
    format!("{title}{by}{license}.")
}

fn link(text: &str, href: &str) -> String {
    if crate::core::urls::is_http_link(href) {
        format!("[{text}](<{}>)", href.replace(['<', '>', ' '], ""))
    } else {
        text.to_string()
    }
}

/// Provider text as Markdown that shows it as written: every character
/// Markdown (or HTML in it) could read as markup is escaped.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            // Inline text (never at a line's start): these are the
            // characters that can open markup there.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '<' | '>' | '&' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ledger::Settled;

    fn collected(id: u32) -> ItemRecord {
        ItemRecord::new(
            7,
            id,
            Candidate {
                url: format!("http://127.0.0.1:1/images/{id}.jpg"),
                title: "Lake, \"north\" *bright*".into(),
                creator: "A. Person".into(),
                license: "CC BY 4.0".into(),
                license_url: "https://creativecommons.org/licenses/by/4.0/".into(),
                source_page: format!("http://127.0.0.1:1/pages/{id}"),
                provider: "local".into(),
                ..Candidate::default()
            },
            &Settled::Collected,
            Some(Collected {
                width: 1200,
                height: 800,
                format: "jpeg".into(),
                bytes: 123_456,
                sha256: "ab".repeat(32),
                thumb_width: 256,
                thumb_height: 171,
                stored: true,
                decoded_by: None,
            }),
        )
    }

    fn failed(id: u32) -> ItemRecord {
        ItemRecord::new(
            7,
            id,
            Candidate {
                url: format!("http://127.0.0.1:1/images/{id}.jpg"),
                ..Candidate::default()
            },
            &Settled::Failed("the server answered 404 Not Found".into()),
            None,
        )
    }

    #[test]
    fn a_row_per_candidate_with_img2datasets_names_and_back() {
        let records = [collected(12), failed(13)];
        let rows: Vec<ManifestRow> = records.iter().map(ManifestRow::of).collect();
        assert_eq!(rows[0].key, "000000012");
        assert_eq!(rows[0].status, "success");
        assert_eq!(rows[0].file, "images/000000012.jpg");
        assert_eq!(
            (rows[0].width, rows[0].original_height),
            (Some(1200), Some(800))
        );
        assert_eq!(rows[1].status, "failed_to_download");
        assert_eq!(rows[1].error_message, "the server answered 404 Not Found");
        assert_eq!(rows[1].file, "");
        let back = parse_manifest(&manifest_jsonl(&rows)).unwrap();
        assert_eq!(back, rows);
        let again: Vec<ItemRecord> = back.iter().map(|r| r.record(7, 256).unwrap()).collect();
        assert_eq!(again, records, "a re-import gives the same records");
    }

    #[test]
    fn the_csv_has_the_header_and_quotes_provider_text() {
        let rows: Vec<ManifestRow> = [collected(1), failed(2)]
            .iter()
            .map(ManifestRow::of)
            .collect();
        let csv = manifest_csv(&rows);
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("key,url,status,error_message,width,height,original_width,original_height,sha256,title,creator,license,license_url,source_page,provider"));
        assert!(
            lines[1].contains(r#""Lake, ""north"" *bright*""#),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn credit_lines_escape_markdown_and_link_only_http() {
        let line = credit_line(&collected(3).candidate);
        assert_eq!(
            line,
            "[“Lake, \"north\" \\*bright\\*”](<http://127.0.0.1:1/pages/3>) by A. Person is licensed under [CC BY 4.0](<https://creativecommons.org/licenses/by/4.0/>)."
        );
        let hostile = Candidate {
            title: "](javascript:alert(1)) <img src=x onerror=alert(1)>".into(),
            source_page: "javascript:alert(1)".into(),
            ..Candidate::default()
        };
        let line = credit_line(&hostile);
        assert!(
            !line.replace("\\]", "").contains("]("),
            "no link is made: {line}"
        );
        assert!(
            !line.replace("\\<", "").contains("<img"),
            "no tag is made: {line}"
        );
        assert!(line.ends_with("by an unknown creator (license not given: see its source page)."));
        let md = attribution_md("lakes", &[collected(1), failed(2)]);
        assert_eq!(
            md.lines().filter(|l| l.starts_with("- ")).count(),
            1,
            "only collected images are credited"
        );
    }

    #[test]
    fn the_url_list_has_every_url_once() {
        let mut dup = collected(5);
        dup.id = 6;
        let csv = url_list_csv(&[collected(5), dup, failed(7)]);
        assert_eq!(
            csv.split("\r\n").filter(|l| !l.is_empty()).count(),
            3,
            "{csv}"
        );
        assert!(csv.starts_with("url,caption\r\n"));
    }

    #[test]
    fn a_bad_manifest_line_is_a_sentence() {
        let e = parse_manifest("{\"key\":\"1\"}\nnot json\n").unwrap_err();
        assert!(
            e.starts_with("line 2 of manifest.jsonl is not a manifest row"),
            "{e}"
        );
        let bad = ManifestRow {
            key: "x".into(),
            ..ManifestRow::default()
        };
        assert!(bad.record(1, 256).unwrap_err().contains("not a number"));
    }
}
