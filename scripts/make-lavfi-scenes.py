#!/usr/bin/env python3
"""Makes a second scene set, unlike Samples/, for the generalisation test and the figures.

    python3 scripts/make-lavfi-scenes.py      # writes Samples/lavfi/train.mp4, train.xml,
                                              # test.mp4, test.xml and scenes.json

Where scripts/make-samples.py paints six landscapes with numpy in 8-second scenes, this set
takes its pictures from FFmpeg's own generators (lavfi): a Mandelbrot zoom, the game of
life, colour bars, drifting gradients, television static and the testsrc2 pattern. Every
scene draws its own parameters (zoom centre, life rule and colours, bar standard, gradient
colours, noise tint, hue), lasts 3 to 11 seconds, and the kinds come in a shuffled order, so
no two scenes of one kind look the same and the test clip's scenes are new ones. The scene
words (フラクタル, 細胞, 放送, …) and the comment phrasings are none of Samples'.

Deterministic: a fixed seed, single-threaded bit-exact encoding. Needs numpy and the ffmpeg
command line (libx264, aac). The output is committed; tests do not run this script.
"""
import json
import os
import subprocess

import numpy as np

WIDTH, HEIGHT, FPS = 288, 160, 12
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Samples", "lavfi")

# kind -> scene words used in comments
KINDS = {
    "fractal": ["フラクタル", "宇宙", "渦"],
    "life": ["細胞", "生命", "増殖"],
    "bars": ["カラーバー", "放送", "休止"],
    "gradient": ["虹", "光", "淡い"],
    "static": ["砂嵐", "ノイズ", "故障"],
    "pattern": ["数字", "信号", "実験"],
}
TEMPLATES = ["{w}", "{w}来た", "これは{w}", "{w}やばい", "{w}好き", "{w}？", "{a}の{b}", "また{w}", "{w}ｷﾀ━"]
CHATTER = ["ｗｗｗ", "888", "乙", "おお", "すげえ", "なるほど", "ここ好き", "はえー"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan", "white", "black"]


def source(kind, seconds, rng):
    """The lavfi source graph of one scene, scaled to the clip's size and rate."""
    size = f"{WIDTH}x{HEIGHT}"
    if kind == "fractal":
        x, y = [(-0.743643887037151, 0.131825904205330), (-0.16, 1.0405), (0.2925, 0.0149), (-1.25066, 0.02012)][int(rng.integers(4))]
        graph = (f"mandelbrot=size={size}:rate={FPS}:start_x={x}:start_y={y}:start_scale={rng.uniform(0.5, 3.0):.3f}"
                 f":end_scale={rng.uniform(0.01, 0.2):.4f}:end_pts={rng.uniform(20, 60):.1f}:maxiter={int(rng.integers(400, 1500))}")
    elif kind == "life":
        rule = ["B3/S23", "B36/S23", "B3/S12345", "B368/S245"][int(rng.integers(4))]
        life, death = COLOURS[int(rng.integers(7))], COLOURS[int(rng.integers(7, 10))]
        graph = (f"life=size={WIDTH // 2}x{HEIGHT // 2}:rate={FPS}:rule={rule}:ratio={rng.uniform(0.1, 0.5):.2f}"
                 f":seed={int(rng.integers(1 << 30))}:mold={int(rng.integers(0, 40))}:life_color={life}:death_color={death}"
                 f":mold_color={COLOURS[int(rng.integers(10))]},scale={size}:flags=neighbor")
    elif kind == "bars":
        bars = ["smptebars", "smptehdbars", "pal100bars", "pal75bars"][int(rng.integers(4))]
        graph = f"{bars}=size={size}:rate={FPS},hue=h={rng.uniform(-25, 25):.1f}"
    elif kind == "gradient":
        colours = rng.choice(10, 3, replace=False)
        graph = (f"gradients=size={size}:rate={FPS}:c0={COLOURS[colours[0]]}:c1={COLOURS[colours[1]]}:c2={COLOURS[colours[2]]}"
                 f":nb_colors=3:speed={rng.uniform(0.005, 0.05):.3f}:seed={int(rng.integers(1 << 30))}")
    elif kind == "static":
        tint = ["gray", "0x303030", "0x7080a0", "0x606060"][int(rng.integers(4))]
        graph = (f"color=c={tint}:size={size}:rate={FPS},noise=alls={int(rng.integers(60, 100))}:allf=t+u"
                 f":all_seed={int(rng.integers(1 << 30))},format=gray")
    elif kind == "pattern":
        graph = f"testsrc2=size={size}:rate={FPS},hue=h={rng.uniform(-60, 60):.1f}:s={rng.uniform(0.6, 1.3):.2f}"
    else:
        raise ValueError(kind)
    return f"{graph},trim=duration={seconds},setpts=PTS-STARTPTS,format=yuv420p,setsar=1"


def make_clip(name, kinds, rng, comments_per_second, seed):
    """Writes NAME.mp4 and NAME.xml; returns its scenes."""
    scenes, start = [], 0
    for kind in kinds:
        seconds = int(rng.integers(3, 12))
        scenes.append({"start": start, "end": start + seconds, "kind": kind, "words": KINDS[kind]})
        start += seconds
    duration = start
    graphs = [f"{source(s['kind'], s['end'] - s['start'], rng)}[v{i}]" for i, s in enumerate(scenes)]
    concat = "".join(f"[v{i}]" for i in range(len(scenes))) + f"concat=n={len(scenes)}:v=1:a=0[video]"
    video = os.path.join(ROOT, name + ".mp4")
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-threads", "1", "-filter_threads", "1",
        "-filter_complex", ";".join(graphs + [concat]),
        "-f", "lavfi", "-i", f"sine=frequency=330:beep_factor=2:sample_rate=48000:duration={duration}",
        "-map", "[video]", "-map", "0:a",
        "-c:v", "libx264", "-preset", "medium", "-crf", "32", "-pix_fmt", "yuv420p", "-x264-params", "threads=1",
        "-c:a", "aac", "-b:a", "48k", "-ac", "2",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-movflags", "+faststart",
        "-t", str(duration), video,
    ], check=True)

    chats = []
    for scene in scenes:
        words, length = scene["words"], scene["end"] - scene["start"]
        for _ in range(int(round(length * comments_per_second))):
            # Viewers type a little after they see: at least half a second into the scene.
            t = scene["start"] + 0.5 + float(rng.uniform(0, length - 0.7))
            if rng.uniform() < 0.7:
                template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
                a, b = rng.choice(len(words), 2, replace=False)
                text = template.format(w=words[int(a)], a=words[int(a)], b=words[int(b)])
            else:
                text = CHATTER[int(rng.integers(len(CHATTER)))]
            mail = []
            roll = rng.uniform()
            if roll < 0.05:
                mail.append("ue")
            elif roll < 0.1:
                mail.append("shita")
            if rng.uniform() < 0.15:
                mail.append(["red", "pink", "orange", "cyan"][int(rng.integers(4))])
            if rng.uniform() < 0.1:
                mail.append("small")
            chats.append((int(round(t * 100)), " ".join(mail), text))
    chats.sort()
    lines = ["<packet>"]  # no declaration and no <thread>, as many real dumps
    for no, (vpos, mail, text) in enumerate(chats, start=1):
        lines.append(f'<chat thread="1200000{seed}" no="{no}" vpos="{vpos}" date="{1760000000 + 7 * no}" mail="{mail}" '
                     f'user_id="u{(no * 31) % 211}">{text}</chat>')
    lines.append("</packet>")
    with open(os.path.join(ROOT, name + ".xml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return {"video": name + ".mp4", "comments": name + ".xml", "duration": duration,
            "width": WIDTH, "height": HEIGHT, "fps": FPS, "scenes": scenes}


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(20261201)
    order = list(KINDS)
    # Train: each kind four times, shuffled (never the same kind twice in a row); test: each once.
    while True:
        train_kinds = [order[int(i)] for i in rng.permutation(np.repeat(np.arange(6), 4))]
        if all(a != b for a, b in zip(train_kinds, train_kinds[1:])):
            break
    test_kinds = [order[int(i)] for i in rng.permutation(6)] + [order[int(i)] for i in rng.permutation(6)]
    clips = {
        "train": make_clip("train", train_kinds, rng, comments_per_second=2.5, seed=1),
        "test": make_clip("test", test_kinds, rng, comments_per_second=2.5, seed=2),
    }
    with open(os.path.join(ROOT, "scenes.json"), "w", encoding="utf-8") as f:
        json.dump(clips, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
