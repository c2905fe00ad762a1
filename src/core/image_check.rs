//! Checks downloaded bytes before anything is decoded.
//!
//! A server's `Content-Type` is a claim; the bytes are the fact. [`sniff`] names
//! the format from the first bytes (and says plainly when they are a web page,
//! an SVG or nothing at all), [`dimensions`] reads the size from the header
//! alone, and [`check`] applies the size limits and the user's filters, so an
//! oversized image or a decompression bomb is refused before a pixel is decoded.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use crate::core::protocol::Checks;

/// The image formats this collector decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
        }
    }

    /// The name in prose: "JPEG", "WebP".
    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
        }
    }

    pub fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Gif => ImageFormat::Gif,
            Format::WebP => ImageFormat::WebP,
        }
    }
}

/// Why bytes were not accepted. `Filtered` means the user's own filters said
/// no; everything else is a failure. `Display` is the sentence shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    Failed(String),
    Filtered(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Failed(s) | Refusal::Filtered(s) => f.write_str(s),
        }
    }
}

/// The formats taken, as the refusals name them.
const TAKEN: &str = "JPEG, PNG, GIF and WebP";

/// Names the format of `bytes` from their first bytes.
pub fn sniff(bytes: &[u8]) -> Result<Format, Refusal> {
    let fail = |s: &str| Err(Refusal::Failed(s.to_string()));
    if bytes.is_empty() {
        return fail("the server sent an empty file");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(Format::Gif);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Format::WebP);
    }
    let other = |what: &str| {
        Err(Refusal::Failed(format!(
            "it is {what}, a format this collector does not take (it takes {TAKEN})"
        )))
    };
    if bytes.starts_with(b"BM") {
        return other("a BMP file");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return other("a TIFF file");
    }
    if bytes.starts_with(&[0, 0, 1, 0]) {
        return other("an ICO icon");
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.contains("<svg") {
        return fail("it is an SVG drawing, which is never rendered from an untrusted source");
    }
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<body")
        || head.contains("<head")
    {
        return fail("the server sent a web page, not an image");
    }
    fail("its bytes are not a JPEG, PNG, GIF or WebP image")
}

/// Whether a file of this format visibly ends before its image does: a JPEG
/// with no end-of-image marker after its first scan, a PNG without its IEND
/// chunk, a WebP shorter than its RIFF header says. (Browsers draw such a
/// file with its missing part grey; as a collected image it is broken.) GIF
/// has no such sure sign, and its decoders stop at the last whole frame.
pub fn cut_short(bytes: &[u8], format: Format) -> bool {
    match format {
        Format::Jpeg => match first_scan(bytes) {
            // In entropy-coded data a 0xFF byte is always followed by 0x00
            // or a restart marker, so FF D9 there is the real end marker.
            Some(scan) => !bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9]),
            None => true,
        },
        Format::Png => !bytes.windows(4).skip(8).any(|w| w == b"IEND"),
        Format::WebP => {
            let riff = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            bytes.len() < riff.saturating_add(8)
        }
        Format::Gif => false,
    }
}

/// Where a JPEG's first scan (SOS) starts, walking its marker segments; `None`
/// when the file ends first.
fn first_scan(bytes: &[u8]) -> Option<usize> {
    let mut at = 2; // after SOI
    loop {
        // Markers may be padded with extra 0xFF bytes.
        while *bytes.get(at)? == 0xFF && *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        let len = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]) as usize;
        if marker == 0xDA {
            return Some(at + 2 + len).filter(|&end| end <= bytes.len());
        }
        at += 2 + len;
    }
}

/// Reads width and height from the header, without decoding pixels.
pub fn dimensions(bytes: &[u8], format: Format) -> Result<(u32, u32), Refusal> {
    // PNG's size sits in its first chunk (IHDR); the decoder would read on
    // to the pixel data first, which a bomb or a truncated file may lack.
    if format == Format::Png && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        return Ok((be(16), be(20)));
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.into_dimensions().map_err(|e| {
        Refusal::Failed(format!(
            "its {} header cannot be read ({e})",
            format.name().to_uppercase()
        ))
    })
}

/// Applies the limits to a response before its body is read, from its
/// `Content-Length` if it has one.
pub fn check_length(declared: Option<u64>, checks: &Checks) -> Result<(), Refusal> {
    match declared {
        Some(n) if n > checks.max_bytes => Err(Refusal::Failed(format!(
            "it is {} and the limit is {}",
            human_bytes(n),
            human_bytes(checks.max_bytes)
        ))),
        _ => Ok(()),
    }
}

/// Applies the size limit while a body arrives: `read` bytes so far (a body
/// without a length, or longer than it said, is stopped at the limit).
pub fn check_read(read: u64, checks: &Checks) -> Result<(), Refusal> {
    if read > checks.max_bytes {
        Err(Refusal::Failed(format!(
            "it goes on past the limit of {}; the download was stopped there",
            human_bytes(checks.max_bytes)
        )))
    } else {
        Ok(())
    }
}

/// Everything known before decoding: format, size, and the limits and filters.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

/// Sniffs, reads the header, and applies limits then filters.
pub fn check(bytes: &[u8], checks: &Checks) -> Result<Header, Refusal> {
    check_length(Some(bytes.len() as u64), checks)?;
    let format = sniff(bytes)?;
    let cut = || {
        Refusal::Failed(format!(
            "it is cut short: the {} file ends before its image does ({} arrived)",
            format.label(),
            human_bytes(bytes.len() as u64)
        ))
    };
    let (width, height) = dimensions(bytes, format).map_err(|unreadable| {
        if cut_short(bytes, format) {
            cut()
        } else {
            unreadable
        }
    })?;
    if width == 0 || height == 0 {
        return Err(Refusal::Failed("its header says it has no pixels".into()));
    }
    if width.max(height) > checks.max_side {
        return Err(Refusal::Failed(format!(
            "it is {width}×{height} px, over the limit of {} px a side",
            checks.max_side
        )));
    }
    let pixels = width as u64 * height as u64;
    if pixels > checks.max_pixels {
        return Err(Refusal::Failed(format!(
            "it is {width}×{height} px ({:.0} Mpx), over the limit of {} Mpx",
            pixels as f64 / 1e6,
            checks.max_pixels / 1_000_000
        )));
    }
    // After the limits: a bomb is refused for its size even when cut short.
    if cut_short(bytes, format) {
        return Err(cut());
    }
    if !checks.file_types.is_empty()
        && !checks
            .file_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(format.name()))
    {
        return Err(Refusal::Filtered(format!(
            "it is {}, not one of the file types chosen",
            format.name().to_uppercase()
        )));
    }
    filter_size(width, height, checks)?;
    Ok(Header {
        format,
        width,
        height,
    })
}

/// The user's width and height bounds (also applied before download when a
/// source gives the size).
pub fn filter_size(width: u32, height: u32, c: &Checks) -> Result<(), Refusal> {
    let out = |what: &str, bound: u32| {
        Err(Refusal::Filtered(format!(
            "it is {width}×{height} px, {what} {bound} px"
        )))
    };
    if c.min_width > 0 && width < c.min_width {
        return out("narrower than", c.min_width);
    }
    if c.min_height > 0 && height < c.min_height {
        return out("shorter than", c.min_height);
    }
    if c.max_width > 0 && width > c.max_width {
        return out("wider than", c.max_width);
    }
    if c.max_height > 0 && height > c.max_height {
        return out("taller than", c.max_height);
    }
    Ok(())
}

/// "3.2 MB", "512 KB", "87 bytes".
pub fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{} KB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::thumbnail::tests::encoded;

    #[test]
    fn sniffing_names_formats_by_their_bytes() {
        assert_eq!(
            sniff(&encoded(ImageFormat::Jpeg, 10, 10)).unwrap(),
            Format::Jpeg
        );
        assert_eq!(
            sniff(&encoded(ImageFormat::Png, 10, 10)).unwrap(),
            Format::Png
        );
        assert_eq!(
            sniff(&encoded(ImageFormat::Gif, 10, 10)).unwrap(),
            Format::Gif
        );
        assert_eq!(
            sniff(&encoded(ImageFormat::WebP, 10, 10)).unwrap(),
            Format::WebP
        );
    }

    #[test]
    fn a_web_page_an_svg_and_nothing_are_refused_with_sentences() {
        let page = sniff(b"<!DOCTYPE html><html><body>hi</body></html>").unwrap_err();
        assert_eq!(page.to_string(), "the server sent a web page, not an image");
        let svg = sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>")
            .unwrap_err();
        assert!(svg.to_string().contains("SVG"));
        assert_eq!(
            sniff(b"").unwrap_err().to_string(),
            "the server sent an empty file"
        );
    }

    #[test]
    fn header_dimensions_are_read_without_decoding() {
        let bytes = encoded(ImageFormat::Jpeg, 300, 200);
        assert_eq!(dimensions(&bytes, Format::Jpeg).unwrap(), (300, 200));
    }

    #[test]
    fn a_png_header_claiming_a_bomb_is_refused_before_decoding() {
        // A valid PNG signature and IHDR chunk claiming 100 000 × 100 000 px.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0]);
        let crc = crc32(&png[12..]);
        png.extend_from_slice(&crc.to_be_bytes());
        let err = check(&png, &Checks::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("over the limit of 16384 px a side"),
            "{err}"
        );
    }

    #[test]
    fn limits_and_filters_say_which_applies() {
        let bytes = encoded(ImageFormat::Png, 300, 200);
        let small = Checks {
            max_bytes: 10,
            ..Checks::default()
        };
        assert!(matches!(check(&bytes, &small), Err(Refusal::Failed(_))));
        let wide = Checks {
            min_width: 400,
            ..Checks::default()
        };
        assert_eq!(
            check(&bytes, &wide).unwrap_err(),
            Refusal::Filtered("it is 300×200 px, narrower than 400 px".into())
        );
        let jpeg_only = Checks {
            file_types: vec!["jpeg".into()],
            ..Checks::default()
        };
        assert!(matches!(
            check(&bytes, &jpeg_only),
            Err(Refusal::Filtered(_))
        ));
        assert_eq!(check(&bytes, &Checks::default()).unwrap().width, 300);
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let err = check_length(Some(1 << 30), &Checks::default()).unwrap_err();
        assert_eq!(err.to_string(), "it is 1024.0 MB and the limit is 40.0 MB");
        assert!(check_length(None, &Checks::default()).is_ok());
    }

    #[test]
    fn a_file_cut_short_is_refused_with_a_sentence() {
        for (format, name) in [
            (ImageFormat::Jpeg, "JPEG"),
            (ImageFormat::Png, "PNG"),
            (ImageFormat::WebP, "WebP"),
        ] {
            let whole = encoded(format, 300, 200);
            assert!(check(&whole, &Checks::default()).is_ok(), "{name} whole");
            let cut = &whole[..whole.len() / 2];
            let err = check(cut, &Checks::default()).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("it is cut short: the {name} file ends")),
                "{err}"
            );
            // Cut anywhere, even inside the header: a sentence, never a panic.
            for n in 0..whole.len().min(700) {
                let _ = check(&whole[..n], &Checks::default());
            }
        }
    }

    #[test]
    fn a_jpeg_with_an_embedded_thumbnail_or_trailing_bytes_is_whole() {
        // An end marker inside an APP segment (an EXIF thumbnail's) does not
        // count; bytes after the real one do not matter.
        let whole = encoded(ImageFormat::Jpeg, 64, 48);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 8, 0xFF, 0xD8, 0xFF, 0xD9, 0, 0];
        jpeg.extend_from_slice(&whole[2..]);
        assert!(!cut_short(&jpeg, Format::Jpeg));
        assert!(cut_short(&jpeg[..jpeg.len() - 2], Format::Jpeg));
        jpeg.extend_from_slice(b"trailing");
        assert!(!cut_short(&jpeg, Format::Jpeg));
    }

    #[test]
    fn other_formats_are_refused_naming_the_ones_taken() {
        for (bytes, what) in [
            (&b"BM\x36\0\0\0"[..], "a BMP file"),
            (&b"II*\0\x08\0\0\0"[..], "a TIFF file"),
            (&b"MM\0*\0\0\0\x08"[..], "a TIFF file"),
            (&[0u8, 0, 1, 0, 1, 0][..], "an ICO icon"),
        ] {
            assert_eq!(
                sniff(bytes).unwrap_err().to_string(),
                format!("it is {what}, a format this collector does not take (it takes JPEG, PNG, GIF and WebP)")
            );
        }
    }

    #[test]
    fn a_body_is_stopped_once_it_passes_the_limit() {
        let c = Checks::default();
        assert!(check_read(c.max_bytes, &c).is_ok());
        assert_eq!(
            check_read(c.max_bytes + 1, &c).unwrap_err().to_string(),
            "it goes on past the limit of 40.0 MB; the download was stopped there"
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
