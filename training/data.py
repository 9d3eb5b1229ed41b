"""Phantom data set: reads `raddraft phantoms` output (phantoms.jsonl + PNGs) and applies the
contract's preprocessing (docs/model-contract.md, preprocessor_config.json):

  8-bit grey image -> pad to square (centred, value 0) -> box (area-average) resize to SxS
  -> x / 255 -> (x - mean) / std ; views stacked as channels [frontal, lateral].
"""
import json
import os

import numpy as np
from PIL import Image

from common import OBSERVATIONS, VIEWS


def read_rows(root):
    with open(os.path.join(root, "phantoms.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_grey(path):
    im = Image.open(path)
    if im.mode not in ("L", "I;16", "I"):
        im = im.convert("L")
    a = np.asarray(im)
    if a.dtype != np.uint8:
        raise ValueError(f"{path}: expected 8-bit grey, got {a.dtype}")
    return a


def pad_square(a):
    h, w = a.shape
    if h == w:
        return a
    n = max(h, w)
    out = np.zeros((n, n), a.dtype)
    y, x = (n - h) // 2, (n - w) // 2
    out[y:y + h, x:x + w] = a
    return out


def box_resize(a, size):
    """Area-average resize of a square uint8 image to size x size, float32 in [0, 255].
    Integer factors: exact mean of k x k blocks (what Java reproduces bit for bit)."""
    a = pad_square(a)
    n = a.shape[0]
    if n % size == 0:
        k = n // size
        s = a.reshape(size, k, size, k).astype(np.int64).sum(axis=(1, 3))
        return (s.astype(np.float32) / np.float32(k * k)).astype(np.float32)
    im = Image.fromarray(a.astype(np.float32), mode="F").resize((size, size), Image.BOX)
    return np.asarray(im, dtype=np.float32)


def normalize(x, mean, std):
    """x float32 [.., S, S] in [0,255] -> contract input. Same float32 operation order as Java."""
    x = x.astype(np.float32) / np.float32(255.0)
    return ((x - np.float32(mean)) / np.float32(std)).astype(np.float32)


def study_pixels(root, row, size):
    """[2, S, S] float32 in [0,255] for one study (before normalisation)."""
    return np.stack([box_resize(load_grey(os.path.join(root, row[v])), size) for v in VIEWS])


def label_vector(row):
    return np.array([row["labels"].get(o, 0) for o in OBSERVATIONS], dtype=np.int8)


def load_set(root, size, cache_dir=None, log=print):
    """Returns rows, pixels uint8-or-float [N,2,S,S] (0..255 scale, float16), labels [N,14] int8."""
    rows = read_rows(root)
    cache = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        key = os.path.abspath(root).replace("/", "_")
        cache = os.path.join(cache_dir, f"{key}_{size}_{len(rows)}.npy")
        if os.path.exists(cache):
            return rows, np.load(cache, mmap_mode=None), np.stack([label_vector(r) for r in rows])
    px = np.zeros((len(rows), len(VIEWS), size, size), np.float16)
    for i, r in enumerate(rows):
        px[i] = study_pixels(root, r, size)
        if (i + 1) % 1000 == 0:
            log(f"  loaded {i + 1}/{len(rows)} studies from {root}")
    if cache:
        np.save(cache, px)
    return rows, px, np.stack([label_vector(r) for r in rows])
