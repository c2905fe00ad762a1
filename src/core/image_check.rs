//! Checks downloaded bytes before anything is decoded.
//!
//! A server's `Content-Type` is a claim; the bytes are the fact. [`sniff`] names
//! the format from the first bytes (and says plainly when they are a web page,
//! an SVG or nothing at all), [`dimensions`] reads the size from the header
//! alone, and [`check`] applies the size limits and the user's filters, so an
//! oversized image or a decompression bomb is refused before a pixel is decoded.
//!
//! A worker keeps a download's bytes in a JS buffer, out of wasm memory, and
//! hands `check` an [`Excerpt`]: its first and last bytes and its length.
//! That is enough for every good file; only when it is not (a header longer
//! than the head, a file that may be cut short) does `check` ask for the
//! whole file ([`Unsure::NeedsWhole`]), and then it decides exactly as it
//! would have from the start.

use std::io::Cursor;

use image::metadata::Orientation;
use image::{ImageDecoder, ImageReader};

use crate::core::avif;
pub use crate::core::format::Format;
use crate::core::protocol::Checks;

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
const TAKEN: &str = "JPEG, PNG, GIF, WebP and AVIF";

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
    match avif::brand(bytes) {
        Some(true) => return Ok(Format::Avif),
        Some(false) => return other_format("a HEIC file"),
        None => {}
    }
    if bytes.starts_with(b"BM") {
        return other_format("a BMP file");
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return other_format("a TIFF file");
    }
    if bytes.starts_with(&[0, 0, 1, 0]) {
        return other_format("an ICO icon");
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
    fail("its bytes are not a JPEG, PNG, GIF, WebP or AVIF image")
}

fn other_format<T>(what: &str) -> Result<T, Refusal> {
    Err(Refusal::Failed(format!(
        "it is {what}, a format this collector does not take (it takes {TAKEN})"
    )))
}

/// Whether a file of this format visibly ends before its image does: a JPEG
/// with no end-of-image marker after its first scan, a PNG without its IEND
/// chunk, a WebP shorter than its RIFF header says, an AVIF whose last box
/// runs past its end. (Browsers draw such a file with its missing part grey;
/// as a collected image it is broken.) GIF has no such sure sign, and its
/// decoders stop at the last whole frame. `None`: the excerpt cannot tell.
fn cut_short(x: &Excerpt, format: Format) -> Option<bool> {
    // The bytes of the excerpt at absolute offsets `from..`, as far as it has
    // them: the whole file, or its tail (when the tail starts at or before `from`).
    let from_on = |from: usize| -> Option<&[u8]> {
        if x.is_whole() {
            return x.head.get(from..);
        }
        let tail_start = (x.len as usize).saturating_sub(x.tail.len());
        x.tail.get(from.saturating_sub(tail_start)..)
    };
    // The end marker (or chunk) somewhere in what the excerpt has from `from` on.
    let ends = |from: usize, mark: &[u8]| -> Option<bool> {
        let found = from_on(from).is_some_and(|b| b.windows(mark.len()).any(|w| w == mark));
        match (found, x.is_whole()) {
            (true, _) => Some(false),
            (false, true) => Some(true),
            (false, false) => None,
        }
    };
    match format {
        Format::Jpeg => match first_scan(x.head) {
            // In entropy-coded data a 0xFF byte is always followed by 0x00
            // or a restart marker, so FF D9 there is the real end marker.
            Some(scan) => ends(scan, &[0xFF, 0xD9]),
            None if x.is_whole() => Some(true),
            None => None,
        },
        Format::Png => ends(8, b"IEND"),
        Format::WebP => {
            let b = x.head;
            let riff = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as u64;
            Some(x.len < riff.saturating_add(8))
        }
        Format::Gif => Some(false),
        Format::Avif => avif::cut_short(x.len, |at, n| x.bytes_at(at, n).map(<[u8]>::to_vec)),
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
    let unreadable = |why: String| {
        Refusal::Failed(format!(
            "its {} header cannot be read ({why})",
            format.name().to_uppercase()
        ))
    };
    // PNG's size sits in its first chunk (IHDR); the decoder would read on
    // to the pixel data first, which a bomb or a truncated file may lack.
    if format == Format::Png && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let be =
            |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        return Ok((be(16), be(20)));
    }
    let Some(image_format) = format.image_format() else {
        return avif::size_and_turns(bytes)
            .map(|(w, h, _)| (w, h))
            .ok_or_else(|| unreadable("no size for its primary image".into()));
    };
    let reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    reader
        .into_dimensions()
        .map_err(|e| unreadable(e.to_string()))
}

/// How the image is turned for viewing: its EXIF orientation (JPEG, PNG,
/// WebP), or its `irot` rotation (AVIF). Reads the header only; a header
/// that says nothing (or cannot be read) means upright.
fn orientation(head: &[u8], format: Format) -> Orientation {
    let Some(image_format) = format.image_format() else {
        return match avif::size_and_turns(head).map(|(_, _, turns)| turns) {
            // irot turns anticlockwise.
            Some(1) => Orientation::Rotate270,
            Some(2) => Orientation::Rotate180,
            Some(3) => Orientation::Rotate90,
            _ => Orientation::NoTransforms,
        };
    };
    ImageReader::with_format(Cursor::new(head), image_format)
        .into_decoder()
        .ok()
        .and_then(|mut d| d.orientation().ok())
        .unwrap_or(Orientation::NoTransforms)
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

/// Everything known before decoding: format, size and orientation.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub format: Format,
    /// As stored, before `orientation` is applied.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
}

impl Header {
    /// The size once the orientation is applied (a quarter turn swaps width
    /// and height).
    pub fn oriented_size(&self) -> (u32, u32) {
        use Orientation::{Rotate270, Rotate270FlipH, Rotate90, Rotate90FlipH};
        match self.orientation {
            Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => (self.height, self.width),
            _ => (self.width, self.height),
        }
    }
}

/// What `check` reads of a download kept outside wasm memory: its first
/// [`HEAD_BYTES`] (or all of it), its last [`TAIL_BYTES`], and its length.
#[derive(Clone, Copy, Debug)]
pub struct Excerpt<'a> {
    pub head: &'a [u8],
    /// Empty when `head` is the whole file.
    pub tail: &'a [u8],
    pub len: u64,
}

/// How much of a download's start an [`Excerpt`] holds: every header of the
/// library's and the corpus's files fits many times over.
pub const HEAD_BYTES: usize = 128 * 1024;
/// How much of a download's end an [`Excerpt`] holds (where the end marker is).
pub const TAIL_BYTES: usize = 16 * 1024;

impl<'a> Excerpt<'a> {
    /// A whole file as an excerpt.
    pub fn whole(bytes: &'a [u8]) -> Self {
        Excerpt {
            head: bytes,
            tail: &[],
            len: bytes.len() as u64,
        }
    }

    pub fn is_whole(&self) -> bool {
        self.head.len() as u64 >= self.len
    }

    /// `n` bytes at `at`, where the head or the tail holds all of them.
    fn bytes_at(&self, at: u64, n: usize) -> Option<&'a [u8]> {
        let end = at.checked_add(n as u64)?;
        if end <= self.head.len() as u64 {
            return self.head.get(at as usize..end as usize);
        }
        let tail_start = self.len.checked_sub(self.tail.len() as u64)?;
        if at >= tail_start && end <= self.len {
            return self
                .tail
                .get((at - tail_start) as usize..(end - tail_start) as usize);
        }
        None
    }
}

/// Why [`check_excerpt`] did not pass a download.
#[derive(Clone, Debug, PartialEq)]
pub enum Unsure {
    Refused(Refusal),
    /// The excerpt cannot tell: check the whole file.
    NeedsWhole,
}

impl From<Refusal> for Unsure {
    fn from(r: Refusal) -> Self {
        Unsure::Refused(r)
    }
}

/// Sniffs, reads the header, and applies limits then filters.
pub fn check(bytes: &[u8], checks: &Checks) -> Result<Header, Refusal> {
    check_excerpt(&Excerpt::whole(bytes), checks).map_err(|u| match u {
        Unsure::Refused(r) => r,
        // A whole file always tells; should it not, it is unreadable.
        Unsure::NeedsWhole => Refusal::Failed("its header cannot be read".into()),
    })
}

/// [`check`] on an excerpt: the same verdict as on the whole file, or
/// [`Unsure::NeedsWhole`] when the excerpt is not enough to give it.
pub fn check_excerpt(x: &Excerpt, checks: &Checks) -> Result<Header, Unsure> {
    check_length(Some(x.len), checks)?;
    let format = sniff(x.head)?;
    let cut = || {
        Refusal::Failed(format!(
            "it is cut short: the {} file ends before its image does ({} arrived)",
            format.label(),
            human_bytes(x.len)
        ))
    };
    let (width, height) = match dimensions(x.head, format) {
        Ok(size) => size,
        Err(_) if !x.is_whole() => return Err(Unsure::NeedsWhole),
        Err(_) if cut_short(x, format) == Some(true) => return Err(cut().into()),
        Err(unreadable) => return Err(unreadable.into()),
    };
    if width == 0 || height == 0 {
        return Err(Refusal::Failed("its header says it has no pixels".into()).into());
    }
    if width.max(height) > checks.max_side {
        return Err(Refusal::Failed(format!(
            "it is {width}×{height} px, over the limit of {} px a side",
            checks.max_side
        ))
        .into());
    }
    let pixels = width as u64 * height as u64;
    if pixels > checks.max_pixels {
        return Err(Refusal::Failed(format!(
            "it is {width}×{height} px ({:.0} Mpx), over the limit of {} Mpx",
            pixels as f64 / 1e6,
            checks.max_pixels / 1_000_000
        ))
        .into());
    }
    // After the limits: a bomb is refused for its size even when cut short.
    match cut_short(x, format) {
        Some(true) => return Err(cut().into()),
        Some(false) => {}
        None => return Err(Unsure::NeedsWhole),
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
        ))
        .into());
    }
    filter_size(width, height, checks)?;
    Ok(Header {
        format,
        width,
        height,
        orientation: orientation(x.head, format),
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
    use image::ImageFormat;

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
        let cut = |b: &[u8]| cut_short(&Excerpt::whole(b), Format::Jpeg);
        assert_eq!(cut(&jpeg), Some(false));
        assert_eq!(cut(&jpeg[..jpeg.len() - 2]), Some(true));
        jpeg.extend_from_slice(b"trailing");
        assert_eq!(cut(&jpeg), Some(false));
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
                format!("it is {what}, a format this collector does not take (it takes JPEG, PNG, GIF, WebP and AVIF)")
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

    /// An excerpt of `bytes` as a worker makes one: `head` first bytes (all
    /// of them when the file is no longer) and `tail` last bytes.
    fn excerpt(bytes: &[u8], head: usize, tail: usize) -> Excerpt<'_> {
        if bytes.len() <= head {
            return Excerpt::whole(bytes);
        }
        Excerpt {
            head: &bytes[..head],
            tail: &bytes[bytes.len() - tail.min(bytes.len())..],
            len: bytes.len() as u64,
        }
    }

    /// Good files (at odd indexes), files cut short, and a file that is not
    /// an image; made once.
    fn samples() -> &'static [Vec<u8>] {
        static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        FILES.get_or_init(make_samples)
    }

    fn make_samples() -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        for format in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::WebP,
            ImageFormat::Gif,
        ] {
            let whole = encoded(format, 900, 600);
            files.push(whole[..whole.len() / 2].to_vec());
            files.push(whole);
        }
        let avif = crate::core::avif::tests::avif(1200, 800, Some(1), 40_000);
        files.push(avif[..avif.len() - 100].to_vec());
        files.push(avif);
        files.push(b"<!DOCTYPE html><html><body>sign in</body></html>".repeat(50));
        files
    }

    #[test]
    fn a_worker_sized_excerpt_decides_every_good_file_alone() {
        for file in samples().iter().skip(1).step_by(2) {
            let x = excerpt(file, HEAD_BYTES, TAIL_BYTES);
            let from_excerpt = check_excerpt(&x, &Checks::default());
            assert_eq!(from_excerpt, Ok(check(file, &Checks::default()).unwrap()));
        }
        // ... and an AVIF's header says its size and rotation.
        let avif = crate::core::avif::tests::avif(1200, 800, Some(1), 40_000);
        let header = check(&avif, &Checks::default()).unwrap();
        assert_eq!(
            (header.format, header.oriented_size()),
            (Format::Avif, (800, 1200))
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// From any excerpt, `check` says what it says of the whole file, or
        /// that it needs the whole file: never anything else.
        #[test]
        fn an_excerpt_gives_the_whole_files_verdict_or_asks_for_it(
            pick in 0usize..11, head in 512usize..200_000, tail in 0usize..100_000,
        ) {
            let file = &samples()[pick % samples().len()];
            let whole = check(file, &Checks::default());
            match check_excerpt(&excerpt(file, head, tail), &Checks::default()) {
                Err(Unsure::NeedsWhole) => {}
                Err(Unsure::Refused(r)) => proptest::prop_assert_eq!(Err(r), whole),
                Ok(h) => proptest::prop_assert_eq!(Ok(h), whole),
            }
        }
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
