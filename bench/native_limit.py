"""The machine's ceiling for thumbnails: native JPEG decode at thumbnail scale.

Decodes every JPEG of a folder with libjpeg-turbo's DCT scaling (OpenCV's
IMREAD_REDUCED_COLOR_{2,4,8}: the largest reduction that keeps the long side
>= the thumbnail size, what Pillow's Image.draft does) and resizes to the
thumbnail size on the long side (INTER_AREA), in a pool of one process per
core. The files are read once before timing (page cache), the pool is started
and warmed before timing. Prints one JSON line: {"n", "runs": [seconds, ...]}.

Runs with the interpreter of bench/venv (img2dataset 1.47.0 brings OpenCV;
it does not bring Pillow).

  python native_limit.py DIR [--size 256] [--procs 2] [--runs 3]
"""

import argparse
import json
import multiprocessing
import os
import struct
import time

import cv2
import numpy as np

REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
           4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def jpeg_size(data):
    """(width, height) from the first SOF marker of a JPEG."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise ValueError("no SOF marker")


def thumbnail(path, size):
    with open(path, "rb") as f:
        data = f.read()
    w, h = jpeg_size(data)
    long_side = max(w, h)
    scale = 1
    for s in (8, 4, 2):
        if long_side // s >= size:
            scale = s
            break
    img = cv2.imdecode(np.frombuffer(data, np.uint8), REDUCED[scale])
    ih, iw = img.shape[:2]
    k = size / max(iw, ih)
    if k < 1:
        img = cv2.resize(img, (max(1, round(iw * k)), max(1, round(ih * k))), interpolation=cv2.INTER_AREA)
    return img.shape[1], img.shape[0]


def init():
    cv2.setNumThreads(1)


def job(args):
    return thumbnail(*args)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--procs", type=int, default=os.cpu_count())
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    paths = sorted(os.path.join(a.dir, n) for n in os.listdir(a.dir) if n.endswith((".jpg", ".jpeg")))
    for path in paths:  # into the page cache
        with open(path, "rb") as f:
            f.read()
    runs = []
    with multiprocessing.Pool(a.procs, initializer=init) as pool:
        pool.map(job, [(paths[0], a.size)] * a.procs)  # warm
        for _ in range(a.runs):
            t = time.perf_counter()
            sizes = pool.map(job, [(path, a.size) for path in paths], chunksize=4)
            runs.append(time.perf_counter() - t)
            assert all(max(s) == a.size or max(s) < a.size for s in sizes)
    print(json.dumps({"n": len(paths), "runs": runs}))


if __name__ == "__main__":
    main()
