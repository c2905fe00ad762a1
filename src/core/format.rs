//! The image formats the collector takes, and their names: the word
//! settings and records use, the label sentences use, and the `image`
//! crate's format for those its wasm decoders take.

use image::ImageFormat;

/// The image formats this collector decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    /// Decoded by the browser only (no wasm decoder takes it).
    Avif,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Gif => "gif",
            Format::WebP => "webp",
            Format::Avif => "avif",
        }
    }

    /// The name in prose: "JPEG", "WebP".
    pub fn label(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
            Format::Avif => "AVIF",
        }
    }

    /// The `image` crate's format, for those it decodes.
    pub fn image_format(self) -> Option<ImageFormat> {
        match self {
            Format::Jpeg => Some(ImageFormat::Jpeg),
            Format::Png => Some(ImageFormat::Png),
            Format::Gif => Some(ImageFormat::Gif),
            Format::WebP => Some(ImageFormat::WebP),
            Format::Avif => None,
        }
    }
}
