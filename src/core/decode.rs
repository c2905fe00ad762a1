//! Which decoder makes a thumbnail, which stand in for it when it cannot,
//! and what size to ask the browser's own decoder for.
//!
//! Four paths, fastest first as `make bench` measured them (BENCHMARKS.md,
//! part `decode`): the browser's `ImageDecoder` (WebCodecs; libjpeg-turbo
//! with SIMD, decoding JPEGs at reduced DCT scale, off the worker's thread),
//! `createImageBitmap` with a resize (the whole image decoded, then scaled),
//! jpeg-decoder at reduced scale in wasm, and the `image` crate in wasm at
//! full size. The one chosen goes first; the others stand in, in that
//! order, for what it cannot do (a browser without `ImageDecoder`, a format
//! a wasm decoder does not take).

use serde::{Deserialize, Deserializer, Serialize};

use crate::core::format::Format;

/// One way of making a thumbnail. The serialized names are the Decoder
/// setting's words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum DecodePath {
    /// WebCodecs `ImageDecoder` in the worker, at reduced size.
    #[default]
    #[serde(rename = "image_decoder")]
    ImageDecoder,
    /// `createImageBitmap(blob, {resizeWidth, resizeHeight})` in the worker.
    #[serde(rename = "browser")]
    CreateImageBitmap,
    /// jpeg-decoder in wasm at 1/2..1/8 scale, then a resize (JPEG only).
    #[serde(rename = "scaled")]
    ScaledJpeg,
    /// The `image` crate in wasm, at full size (not AVIF).
    #[serde(rename = "wasm")]
    ImageCrate,
}

impl DecodePath {
    /// Every path, fastest measured first: the order the stand-ins follow.
    pub const ALL: [DecodePath; 4] = [
        DecodePath::ImageDecoder,
        DecodePath::CreateImageBitmap,
        DecodePath::ScaledJpeg,
        DecodePath::ImageCrate,
    ];

    /// The Decoder setting's word for it.
    pub fn name(self) -> &'static str {
        match self {
            DecodePath::ImageDecoder => "image_decoder",
            DecodePath::CreateImageBitmap => "browser",
            DecodePath::ScaledJpeg => "scaled",
            DecodePath::ImageCrate => "wasm",
        }
    }

    /// The path a setting's word names (any case, spaces around).
    pub fn from_name(word: &str) -> Option<DecodePath> {
        let word = word.trim().to_ascii_lowercase();
        DecodePath::ALL.into_iter().find(|p| p.name() == word)
    }

    /// What it is, for sentences and the panel.
    pub fn label(self) -> &'static str {
        match self {
            DecodePath::ImageDecoder => "the browser's ImageDecoder",
            DecodePath::CreateImageBitmap => "createImageBitmap",
            DecodePath::ScaledJpeg => "jpeg-decoder at reduced scale",
            DecodePath::ImageCrate => "the image crate",
        }
    }

    /// Whether this path can decode `format` at all.
    pub fn takes(self, format: Format) -> bool {
        match self {
            DecodePath::ImageDecoder | DecodePath::CreateImageBitmap => true,
            DecodePath::ScaledJpeg => format == Format::Jpeg,
            DecodePath::ImageCrate => format.image_format().is_some(),
        }
    }

    /// The paths to try for `format`: this one, then the others in
    /// [`ALL`](Self::ALL)'s order, each only if it takes the format.
    pub fn chain(self, format: Format) -> Vec<DecodePath> {
        std::iter::once(self)
            .chain(DecodePath::ALL.into_iter().filter(|p| *p != self))
            .filter(|p| p.takes(format))
            .collect()
    }
}

/// Reads a path from its word; an unknown word (an older or edited stored
/// setting) is the default rather than an error that would lose every
/// other setting with it.
impl<'de> Deserialize<'de> for DecodePath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        Ok(DecodePath::from_name(&word).unwrap_or_default())
    }
}

/// The size to ask `ImageDecoder` for, so that a JPEG is decoded at the
/// smallest DCT scale whose long side still reaches `thumb_px`.
///
/// Chromium takes `desiredWidth × desiredHeight` as a pixel budget and has
/// libjpeg-turbo decode at the largest scale n/8 whose output fits in it
/// (`DesiredScaleNumerator`: n = ⌊√(budget · 64 / (w · h))⌋), so asking for
/// exactly the thumbnail's size can give less than it (256 × 256 asked of a
/// 1115 × 1030 JPEG gave 140 × 129). Firefox decodes to the size asked,
/// so the box keeps the image's aspect. `width` and `height` are the
/// image's size as it is viewed (oriented); an image no larger than the
/// thumbnail is asked at its own size.
pub fn decode_box(width: u32, height: u32, thumb_px: u32) -> (u32, u32) {
    let long = width.max(height).max(1) as u64;
    let thumb = thumb_px.max(1) as u64;
    if long <= thumb {
        return (width.max(1), height.max(1));
    }
    // The smallest n (of 8) with long · n / 8 ≥ thumb.
    let n = (8 * thumb).div_ceil(long).clamp(1, 8);
    let side = |v: u32| (v as u64 * n).div_ceil(8).max(1) as u32;
    (side(width), side(height))
}

/// The DCT scale (n of 8) Chromium picks for a `width × height` JPEG when
/// asked for `asked`: the rule [`decode_box`] is made for.
pub fn chromium_scale(width: u32, height: u32, asked: (u32, u32)) -> u64 {
    let budget = asked.0 as u64 * asked.1 as u64 * 4;
    let original = width as u64 * height as u64 * 4;
    if original <= budget {
        return 8;
    }
    (((budget * 64 / original) as f64).sqrt().floor() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_chosen_path_goes_first_then_the_fastest_that_take_the_format() {
        use DecodePath::*;
        assert_eq!(
            ImageDecoder.chain(Format::Jpeg),
            vec![ImageDecoder, CreateImageBitmap, ScaledJpeg, ImageCrate]
        );
        assert_eq!(
            ImageCrate.chain(Format::Jpeg),
            vec![ImageCrate, ImageDecoder, CreateImageBitmap, ScaledJpeg]
        );
        assert_eq!(
            ScaledJpeg.chain(Format::Png),
            vec![ImageDecoder, CreateImageBitmap, ImageCrate]
        );
        assert_eq!(
            ImageCrate.chain(Format::Avif),
            vec![ImageDecoder, CreateImageBitmap]
        );
    }

    #[test]
    fn a_path_reads_back_from_its_word_and_an_unknown_word_is_the_default() {
        for p in DecodePath::ALL {
            assert_eq!(
                DecodePath::from_name(&format!(" {} ", p.name().to_uppercase())),
                Some(p)
            );
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<DecodePath>(&json).unwrap(), p);
        }
        assert_eq!(
            serde_json::from_str::<DecodePath>("\"gpu\"").unwrap(),
            DecodePath::default()
        );
    }

    #[test]
    fn the_example_that_gave_too_little_gets_enough() {
        // Asking 256 × 256 of 1115 × 1030 gave 140 × 129 (scale 1/8).
        assert_eq!(chromium_scale(1115, 1030, (256, 256)), 1);
        let asked = decode_box(1115, 1030, 256);
        assert_eq!(chromium_scale(1115, 1030, asked), 2);
        assert_eq!(decode_box(4000, 3000, 256), (500, 375));
        assert_eq!(decode_box(200, 100, 256), (200, 100));
    }

    proptest! {
        /// Chromium's rule, given the box, decodes a long side of at least
        /// the thumbnail's and no more than twice it (one scale step up).
        #[test]
        fn the_box_gives_the_smallest_scale_that_reaches_the_thumbnail(
            w in 1u32..16_384, h in 1u32..16_384, thumb in 16u32..2048,
        ) {
            let asked = decode_box(w, h, thumb);
            let n = chromium_scale(w, h, asked);
            let long = (w.max(h) as u64 * n).div_ceil(8);
            if w.max(h) > thumb {
                prop_assert!(long >= thumb as u64, "{w}x{h} asked {asked:?}: n {n}, long {long}");
                prop_assert!(n <= (8 * thumb as u64).div_ceil(w.max(h) as u64) + 1);
            } else {
                prop_assert_eq!(asked, (w, h));
            }
        }
    }
}
