#!/usr/bin/env python3
"""Draws the app's icons (pwa/icons/*.png) once; the PNGs are committed.

The mark: four rounded tiles, a small gallery, white on the page's accent
blue. `icon-*.png` is a rounded square on a transparent ground; the maskable
icon fills its whole square with the blue and keeps the tiles inside the
central safe zone (a circle of 40% of the size), as platforms crop it to
their own shape. Pure Python (zlib), no imaging library. Run from the repo
root: python3 scripts/make-icons.py
"""
import struct
import zlib

ACCENT = (0x2F, 0x5F, 0xD0)
TILE = (0xFF, 0xFF, 0xFF)
TILE_DIM = (0xC9, 0xD7, 0xF7)


def inside_rounded(x, y, x0, y0, x1, y1, r):
    """Is the pixel centre (x, y) inside the rounded rectangle?"""
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def draw(size, maskable):
    s = size
    # The tiles' area: the central 44% (maskable, inside the safe circle) or 56%.
    area = 0.44 if maskable else 0.56
    a0 = s * (1 - area) / 2
    gap = s * area * 0.1
    tile = (s * area - gap) / 2
    tiles = []
    for row in range(2):
        for col in range(2):
            x0 = a0 + col * (tile + gap)
            y0 = a0 + row * (tile + gap)
            colour = TILE_DIM if (row, col) == (1, 1) else TILE
            tiles.append((x0, y0, x0 + tile, y0 + tile, colour))
    corner = s * 0.22
    rows = []
    for y in range(s):
        row = bytearray([0])  # filter type 0
        for x in range(s):
            px, py = x + 0.5, y + 0.5
            if maskable or inside_rounded(px, py, 0, 0, s, s, corner):
                rgba = ACCENT + (255,)
            else:
                rgba = (0, 0, 0, 0)
            for x0, y0, x1, y1, colour in tiles:
                if inside_rounded(px, py, x0, y0, x1, y1, tile * 0.18):
                    rgba = colour + (255,)
                    break
            row.extend(rgba)
        rows.append(bytes(row))
    return png(s, s, b"".join(rows))


def png(w, h, raw):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
    ]:
        with open(f"pwa/icons/{name}", "wb") as f:
            f.write(draw(size, maskable))
        print(f"wrote pwa/icons/{name}")
