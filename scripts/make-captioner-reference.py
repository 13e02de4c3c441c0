#!/usr/bin/env python3
"""Writes the PyTorch reference the captioner's test checks against (llm.c's test_gpt2 idea).

For each model (Show, Attend and Tell; Show and Tell) it draws small random weights and a
batch, runs danmaku's model in PyTorch with autograd in float64, and writes one safetensors
file with the weights (danmaku's parameter names), the batch, the loss and the gradient of
every parameter (`grad.<name>`):

    Tests/Fixtures/reference/show_attend_tell.safetensors
    Tests/Fixtures/reference/show_and_tell.safetensors
    Tests/Fixtures/reference/show_attend_tell_context.safetensors
    Tests/Fixtures/reference/show_and_tell_context.safetensors
    Tests/Fixtures/reference/show_attend_tell_context_gate.safetensors
    Tests/Fixtures/reference/show_and_tell_context_gate.safetensors
    Tests/Fixtures/reference/show_attend_tell_context_gate_trust.safetensors
    Tests/Fixtures/reference/show_and_tell_context_gate_trust.safetensors

The `_context` models also read the comments before each caption: m, the mean over a
caption's comments of each comment's mean word embedding (0 with none), q = tanh(m W_q + b_q),
and the LSTM reads [E y; z; q] (Show and Tell: [E y; q], and [image; q] first). The
`_context_gate` models read g·q instead, g = σ((p̂ W_g + b_g)·q), p̂ the caption's picture
(mean annotation or global vector) divided by its length, and their loss adds the gate's
agreement loss λ_match/N·Σ BCE(g_b, own_b) over the N captions labelled in OWN (whether the
context shown is the caption's own, as context swap labels them). The `_trust` models follow
their gate with trust τ = TRUST: the LSTM reads (1 − τ(1 − g))·q, and the agreement loss
reaches q only τ times (its score is computed from τ·q + (1 − τ)·q.detach()).

The model is danmaku's, not the peer benchmark's: tanh attention with a scalar gate
β = σ(h·w_β + b_β), LSTM gates in the order i, f, g, o, a deep output on [h'; z; E y],
and the doubly stochastic penalty λ/B·Σ_b Σ_i (1 − Σ_t α_bti)² over real steps only.
Dropout is off. The batch has captions of different lengths (padded steps) and captions
sharing a frame.

Run with torch from PyPI: python3 -m pip install torch; python3 scripts/make-captioner-reference.py [NAME ...]
(NAME: a file's name without .safetensors, to write only those; torch's version changes the
last bits of a file, so rewrite only the ones whose model changed).
"""
import json
import os
import struct
import sys

import torch

PAD, BOS, EOS = 0, 1, 2
V, E, H, A, L, D, G = 17, 6, 5, 7, 3, 4, 8
PENALTY = 0.5
FRAMES = 3
# Caption b belongs to frame FRAME_OF[b]; lengths 1 to 5, two captions share frame 0 and 1.
CAPTIONS = [[4, 5, 6, 7, 8], [9, 10], [11], [12, 4, 13], [14, 15, 16, 5], [6]]
FRAME_OF = [0, 1, 2, 0, 1, 2]
# The comments on screen before each caption (context models); two captions have none.
CONTEXTS = [[[5, 6], [7, 7, 8]], [], [[4]], [[9, 10, 11, 12]], [[13], [14], [15]], []]
C = 3
# For the gated models: whether each caption's context is its own (None: nothing on screen).
OWN = [True, None, False, True, False, None]
MATCH = 0.7
TRUST = 0.5


def parameters(kind, g, context, gate):
    def u(*shape, scale=0.5):
        return (torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1) * scale

    p = {
        "embedding.weight": u(V, E),
        "lstm.hidden.weight": u(H, 4 * H),
        "lstm.bias": u(4 * H, scale=0.1),
        "output.vocabulary.weight": u(E, V),
        "output.vocabulary.bias": u(V, scale=0.1),
    }
    if kind == "show_attend_tell":
        p.update({
            "init.weight": u(D, 2 * H), "init.bias": u(2 * H, scale=0.1),
            "attention.annotation.weight": u(D, A), "attention.annotation.bias": u(A, scale=0.1),
            "attention.hidden.weight": u(H, A), "attention.score.weight": u(A),
            "attention.gate.weight": u(H), "attention.gate.bias": u(1, scale=0.1),
            "lstm.input.weight": u(E + D, 4 * H),
            "output.hidden.weight": u(H + D + E, E), "output.hidden.bias": u(E, scale=0.1),
        })
    else:
        p.update({
            "image.weight": u(G, E), "image.bias": u(E, scale=0.1),
            "lstm.input.weight": u(E, 4 * H),
            "output.hidden.weight": u(H + E, E), "output.hidden.bias": u(E, scale=0.1),
        })
    if context:
        p["lstm.input.weight"] = u(E + (D if kind == "show_attend_tell" else 0) + C, 4 * H)
        p.update({"context.weight": u(E, C), "context.bias": u(C, scale=0.1)})
    if gate:
        p.update({"context.gate.weight": u(D if kind == "show_attend_tell" else G, C), "context.gate.bias": u(C, scale=0.1)})
    # Round to float32 first: danmaku reads the weights as F32.
    return {k: v.float().double().requires_grad_() for k, v in p.items()}


def lstm(p, x, h, c):
    gates = x @ p["lstm.input.weight"] + h @ p["lstm.hidden.weight"] + p["lstm.bias"]
    i, f, gg, o = gates.split(H, dim=1)
    i, f, gg, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(gg), torch.sigmoid(o)
    c = f * c + i * gg
    return o * torch.tanh(c), c


def context_vector(p, picture, gate, trust):
    means = []
    for comments in CONTEXTS:
        m = torch.zeros(E, dtype=torch.float64)
        for comment in comments:
            m = m + p["embedding.weight"][comment].mean(0) / len(comments)
        means.append(m)
    q = torch.tanh(torch.stack(means) @ p["context.weight"] + p["context.bias"])   # [B, C]
    if not gate:
        return q, None
    unit = picture / picture.norm(dim=1, keepdim=True)
    expected = unit @ p["context.gate.weight"] + p["context.gate.bias"]           # [B, C]
    opening = 1 - trust * (1 - torch.sigmoid((expected * q).sum(1)))            # [B]
    score = (expected * (trust * q + (1 - trust) * q.detach())).sum(1)           # [B], the loss's
    return opening[:, None] * q, score


def loss(kind, p, features, context, gate, trust):
    b = len(CAPTIONS)
    steps = max(len(c) for c in CAPTIONS) + 1
    inputs = torch.full((steps, b), PAD, dtype=torch.long)
    targets = torch.full((steps, b), PAD, dtype=torch.long)
    for j, caption in enumerate(CAPTIONS):
        inputs[0, j] = BOS
        for t, token in enumerate(caption):
            targets[t, j] = token
            inputs[t + 1, j] = token
        targets[len(caption), j] = EOS
    mask = (targets != PAD).double()
    rows = features[FRAME_OF]
    picture = rows.mean(1) if kind == "show_attend_tell" else rows
    q, score = context_vector(p, picture, gate, trust) if context else (torch.zeros(b, 0, dtype=torch.float64), None)
    if kind == "show_attend_tell":
        projected = rows @ p["attention.annotation.weight"] + p["attention.annotation.bias"]   # [B, L, A]
        s = torch.tanh(rows.mean(1) @ p["init.weight"] + p["init.bias"])
        h, c = s[:, :H], s[:, H:]
    else:
        x = torch.cat([rows @ p["image.weight"] + p["image.bias"], q], 1)
        h, c = lstm(p, x, torch.zeros(b, H, dtype=torch.float64), torch.zeros(b, H, dtype=torch.float64))
    total_ce = 0
    alpha_sum = torch.zeros(b, L, dtype=torch.float64)
    for t in range(steps):
        word = p["embedding.weight"][inputs[t]]
        if kind == "show_attend_tell":
            u = h @ p["attention.hidden.weight"]
            e = torch.tanh(projected + u[:, None, :]) @ p["attention.score.weight"]             # [B, L]
            alpha = e.softmax(1)
            beta = torch.sigmoid(h @ p["attention.gate.weight"] + p["attention.gate.bias"])     # [B]
            z = beta[:, None] * (alpha[:, :, None] * rows).sum(1)
            alpha_sum = alpha_sum + alpha * mask[t][:, None]
            h, c = lstm(p, torch.cat([word, z, q], 1), h, c)
            deep = torch.cat([h, z, word], 1)
        else:
            h, c = lstm(p, torch.cat([word, q], 1), h, c)
            deep = torch.cat([h, word], 1)
        hidden = torch.tanh(deep @ p["output.hidden.weight"] + p["output.hidden.bias"])
        logits = hidden @ p["output.vocabulary.weight"] + p["output.vocabulary.bias"]
        ce = torch.nn.functional.cross_entropy(logits, targets[t], reduction="none")
        total_ce = total_ce + (ce * mask[t]).sum()
    cross_entropy = total_ce / mask.sum()
    penalty = PENALTY / b * ((1 - alpha_sum) ** 2).sum() if kind == "show_attend_tell" else torch.zeros((), dtype=torch.float64)
    match = torch.zeros((), dtype=torch.float64)
    if gate:
        rows = [j for j, own in enumerate(OWN) if own is not None]
        labels = torch.tensor([1.0 if OWN[j] else 0.0 for j in rows], dtype=torch.float64)
        match = MATCH * torch.nn.functional.binary_cross_entropy_with_logits(score[rows], labels)
    return cross_entropy, penalty, match


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().float().contiguous().view(-1).tolist()
        blob = struct.pack("<%df" % len(data), *data)
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "reference")
    os.makedirs(out, exist_ok=True)
    runs = [("show_attend_tell", False, False), ("show_and_tell", False, False), ("show_attend_tell", True, False),
            ("show_and_tell", True, False), ("show_attend_tell", True, True), ("show_and_tell", True, True),
            ("show_attend_tell", True, True, TRUST), ("show_and_tell", True, True, TRUST)]
    only = sys.argv[1:]  # file names to write (default: all)
    for seed, (kind, context, gate, *rest) in enumerate(runs):
        trust = rest[0] if rest else 1.0
        g = torch.Generator().manual_seed(1000 + seed)
        p = parameters(kind, g, context, gate)
        shape = (FRAMES, L, D) if kind == "show_attend_tell" else (FRAMES, G)
        features = torch.rand(*shape, generator=g, dtype=torch.float64).float().double()
        cross_entropy, penalty, match = loss(kind, p, features, context, gate, trust)
        (cross_entropy + penalty + match).backward()
        tensors = {name: value for name, value in p.items()}
        tensors.update({"grad." + name: value.grad for name, value in p.items()})
        tensors["features"] = features
        metadata = {
            "kind": kind, "vocabulary": str(V), "embedding": str(E), "hidden": str(H), "attention": str(A),
            "annotations": str(L), "feature_size": str(D if kind == "show_attend_tell" else G),
            "penalty_weight": str(PENALTY), "captions": json.dumps(CAPTIONS), "frames": json.dumps(FRAME_OF),
            "cross_entropy": repr(cross_entropy.item()), "penalty": repr(penalty.item()),
            "torch": torch.__version__, "context_size": str(C if context else 0), "contexts": json.dumps(CONTEXTS),
        }
        if gate:
            metadata.update({"own": json.dumps(OWN), "context_match": str(MATCH), "match": repr(match.item()),
                             "context_trust": str(trust)})
        name = kind + ("_context" if context else "") + ("_gate" if gate else "") + ("_trust" if trust != 1 else "")
        if only and name not in only:
            continue
        path = os.path.join(out, name + ".safetensors")
        write_safetensors(path, tensors, metadata)
        print(f"{path}: cross-entropy {cross_entropy.item():.6f}, penalty {penalty.item():.6f}", file=sys.stderr)


if __name__ == "__main__":
    main()
