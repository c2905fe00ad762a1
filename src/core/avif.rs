//! What `check` needs of an AVIF file, read from its boxes (ISOBMFF, as
//! HEIF says): that it is one, the primary image's size (`ispe`), its
//! rotation (`irot`), and whether the file ends before its last box does.
//!
//! No pixel is decoded here: AVIF thumbnails come from the browser's own
//! decoders (the `image` crate has no AVIF decoder in wasm), and `check`
//! refuses an oversized or cut-short file before they are asked.

/// A box's type and where its content lies in the bytes it was read from.
struct BoxAt {
    kind: [u8; 4],
    /// Start and end of its content (after the header).
    body: std::ops::Range<usize>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// The boxes in `bytes[range]`, in order; stops at the first that does not
/// fit (a file cut short, or a head that ends mid-box).
fn boxes(bytes: &[u8], range: std::ops::Range<usize>) -> Vec<BoxAt> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at + 8 <= range.end {
        let Some(size32) = be32(bytes, at) else { break };
        let kind: [u8; 4] = match bytes[at + 4..at + 8].try_into() {
            Ok(k) => k,
            Err(_) => break,
        };
        let (header, size) = match size32 {
            0 => (8, range.end - at),
            1 => match bytes.get(at + 8..at + 16) {
                Some(b) => (
                    16,
                    u64::from_be_bytes(b.try_into().unwrap_or_default()) as usize,
                ),
                None => break,
            },
            n => (8, n as usize),
        };
        let end = match at.checked_add(size) {
            Some(end) if size >= header && end <= range.end => end,
            _ => break,
        };
        out.push(BoxAt {
            kind,
            body: at + header..end,
        });
        at = end;
    }
    out
}

fn find<'a>(list: &'a [BoxAt], kind: &[u8; 4]) -> Option<&'a BoxAt> {
    list.iter().find(|b| &b.kind == kind)
}

/// What the file's `ftyp` says it is: `Some(true)` for AVIF, `Some(false)`
/// for another HEIF image (HEIC), `None` when it is no ISOBMFF image.
pub fn brand(head: &[u8]) -> Option<bool> {
    if head.get(4..8)? != b"ftyp" {
        return None;
    }
    let size = (be32(head, 0)? as usize).min(head.len());
    let brands: Vec<&[u8]> = std::iter::once(head.get(8..12)?)
        .chain(
            head.get(16..size.max(16))
                .unwrap_or_default()
                .chunks_exact(4),
        )
        .collect();
    let has = |b: &[u8]| brands.contains(&b);
    if has(b"avif") || has(b"avis") {
        Some(true)
    } else if has(b"heic") || has(b"heix") || has(b"mif1") || has(b"msf1") {
        Some(false)
    } else {
        None
    }
}

/// The primary image's width, height and rotation (quarter turns
/// anticlockwise, from `irot`), from the `meta` box in `head`; `None` when
/// `head` does not hold them.
pub fn size_and_turns(head: &[u8]) -> Option<(u32, u32, u8)> {
    let top = boxes(head, 0..head.len());
    let meta = find(&top, b"meta")?;
    // `meta` is a full box: version and flags come first.
    let children = boxes(head, meta.body.start + 4..meta.body.end);
    let pitm = find(&children, b"pitm")?;
    let primary = match head.get(pitm.body.start)? {
        0 => be16(head, pitm.body.start + 4)? as u32,
        _ => be32(head, pitm.body.start + 4)?,
    };
    let iprp = find(&children, b"iprp")?;
    let iprp = boxes(head, iprp.body.clone());
    let ipco = boxes(head, find(&iprp, b"ipco")?.body.clone());
    let ipma = find(&iprp, b"ipma")?;
    let props = associations(head, ipma, primary)?;
    let mut size = None;
    let mut turns = 0;
    for index in props {
        let Some(p) = index.checked_sub(1).and_then(|i| ipco.get(i)) else {
            continue;
        };
        match &p.kind {
            // A full box: version and flags, then width and height.
            b"ispe" => size = Some((be32(head, p.body.start + 4)?, be32(head, p.body.start + 8)?)),
            b"irot" => turns = head.get(p.body.start)? & 3,
            _ => {}
        }
    }
    size.map(|(w, h)| (w, h, turns))
}

/// The property indexes (1-based) associated with `item` in `ipma`.
fn associations(b: &[u8], ipma: &BoxAt, item: u32) -> Option<Vec<usize>> {
    let version = *b.get(ipma.body.start)?;
    let wide_index = b.get(ipma.body.start + 3)? & 1 == 1;
    let count = be32(b, ipma.body.start + 4)?;
    let mut at = ipma.body.start + 8;
    for _ in 0..count {
        let id = if version < 1 {
            let id = be16(b, at)? as u32;
            at += 2;
            id
        } else {
            let id = be32(b, at)?;
            at += 4;
            id
        };
        let n = *b.get(at)? as usize;
        at += 1;
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            let index = if wide_index {
                let v = be16(b, at)? & 0x7FFF;
                at += 2;
                v as usize
            } else {
                let v = b.get(at)? & 0x7F;
                at += 1;
                v as usize
            };
            list.push(index);
        }
        if id == item {
            return Some(list);
        }
        if at > ipma.body.end {
            return None;
        }
    }
    None
}

/// Whether the file's top-level boxes claim more bytes than it has: `read`
/// gives `n` bytes at an offset when the caller has them. `None` when a box
/// header lies where the caller has no bytes.
pub fn cut_short(len: u64, read: impl Fn(u64, usize) -> Option<Vec<u8>>) -> Option<bool> {
    let mut at = 0u64;
    while at < len {
        if len - at < 8 {
            return Some(true);
        }
        let header = read(at, 8)?;
        let size = match be32(&header, 0)? {
            0 => return Some(false), // the last box runs to the end of the file
            1 => {
                if len - at < 16 {
                    return Some(true);
                }
                let large = read(at + 8, 8)?;
                u64::from_be_bytes(large.try_into().ok()?)
            }
            n => n as u64,
        };
        if size < 8 {
            return Some(true); // not a box: the file is broken where it stops making sense
        }
        at = at.saturating_add(size);
    }
    Some(at > len)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    /// A minimal AVIF-shaped file: ftyp, meta (pitm, iprp with ispe and
    /// optionally irot for item 1, a decoy ispe for item 2), and an mdat of
    /// `payload` bytes.
    pub(crate) fn avif(width: u32, height: u32, turns: Option<u8>, payload: usize) -> Vec<u8> {
        let mut ftyp = b"avif".to_vec();
        ftyp.extend_from_slice(&0u32.to_be_bytes());
        ftyp.extend_from_slice(b"avifmif1miaf");
        let mut ispe = width.to_be_bytes().to_vec();
        ispe.extend_from_slice(&height.to_be_bytes());
        let decoy = [0u8, 0, 0, 9, 0, 0, 0, 9];
        let mut ipco = full(b"ispe", 0, 0, &decoy);
        ipco.extend(full(b"ispe", 0, 0, &ispe));
        let mut assoc = vec![0u8, 2, 1, 0x81]; // item 2: property 1
        let mut own = vec![0x02u8];
        if let Some(t) = turns {
            ipco.extend(bx(b"irot", &[t]));
            own.push(3);
        }
        assoc.extend_from_slice(&[0, 1, own.len() as u8]); // item 1
        assoc.extend_from_slice(&own);
        let mut ipma_body = 2u32.to_be_bytes().to_vec();
        ipma_body.extend(assoc);
        let mut iprp = bx(b"ipco", &ipco);
        iprp.extend(full(b"ipma", 0, 0, &ipma_body));
        let mut meta = full(
            b"hdlr",
            0,
            0,
            &[0, 0, 0, 0, b'p', b'i', b'c', b't', 0, 0, 0, 0],
        );
        meta.extend(full(b"pitm", 0, 0, &[0, 1]));
        meta.extend(bx(b"iprp", &iprp));
        let mut file = bx(b"ftyp", &ftyp);
        file.extend(full(b"meta", 0, 0, &meta));
        file.extend(bx(b"mdat", &vec![0x5A; payload]));
        file
    }

    #[test]
    fn the_primary_items_size_and_rotation_are_read() {
        let file = avif(1244, 1140, None, 100);
        assert_eq!(brand(&file), Some(true));
        assert_eq!(size_and_turns(&file), Some((1244, 1140, 0)));
        let turned = avif(640, 480, Some(1), 100);
        assert_eq!(size_and_turns(&turned), Some((640, 480, 1)));
    }

    #[test]
    fn a_heic_is_told_apart_and_other_bytes_are_not_isobmff() {
        let mut heic = avif(10, 10, None, 0);
        heic[8..12].copy_from_slice(b"heic");
        heic[16..28].copy_from_slice(b"mif1heicmiaf");
        assert_eq!(brand(&heic), Some(false));
        assert_eq!(brand(b"\x89PNG\r\n\x1a\n...."), None);
        assert_eq!(brand(b""), None);
    }

    #[test]
    fn a_file_cut_inside_its_last_box_is_cut_short() {
        let file = avif(64, 48, None, 5000);
        let len = file.len() as u64;
        let whole = |at: u64, n: usize| file.get(at as usize..at as usize + n).map(<[u8]>::to_vec);
        assert_eq!(cut_short(len, whole), Some(false));
        let cut = &file[..file.len() - 10];
        let read = |at: u64, n: usize| cut.get(at as usize..at as usize + n).map(<[u8]>::to_vec);
        assert_eq!(cut_short(cut.len() as u64, read), Some(true));
        // The header of a box the caller does not hold: it cannot tell.
        assert_eq!(cut_short(len, |_, _| None), None);
    }

    #[test]
    fn a_file_made_by_libavif_is_read() {
        // The corpus's AVIF: 120×80, irot 1 (demo-server/corpus/README.md).
        let file = include_bytes!("../../demo-server/corpus/rotated.avif");
        assert_eq!(brand(file), Some(true));
        assert_eq!(size_and_turns(file), Some((120, 80, 1)));
        let read = |at: u64, n: usize| file.get(at as usize..at as usize + n).map(<[u8]>::to_vec);
        assert_eq!(cut_short(file.len() as u64, read), Some(false));
    }

    #[test]
    fn any_prefix_of_a_file_is_read_without_a_panic() {
        let file = avif(300, 200, Some(3), 300);
        for n in 0..file.len() {
            let _ = brand(&file[..n]);
            let _ = size_and_turns(&file[..n]);
        }
    }
}
