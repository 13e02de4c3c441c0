#!/usr/bin/env python3
"""Makes the sample episode, its comments and a second clip for the demo and the learning tests.

    python3 scripts/make-samples.py            # writes Samples/episode.mp4, episode.xml,
                                               # other.mp4, other.xml, objects.mp4, objects.xml,
                                               # objects-other.mp4, objects-other.xml and scenes.json

Deterministic: a fixed seed, single-threaded bit-exact encoding. Needs numpy and the ffmpeg
command line (libx264, aac). The output is committed; `make demo` does not run this script.

Each clip is a sequence of 8-second scenes of six kinds with clearly different pictures
(sea, sunset, forest, night, snow, city). Comments on a scene use that scene's words
(海, 太陽, 森, 星, 雪, ビル, …) most of the time, plus scene-independent chatter (ｗｗｗ, 8888).
`scenes.json` records every scene's time range, kind, words and the bounding box of its
main object (as fractions of the frame), which the tests use as ground truth.

The `objects` clips are built to test where attention looks: 4-second scenes of one object
(apple, fish, car, umbrella, flower, house), placed anew in every scene and drifting within
it, on clutter (muted blobs) drawn anew every second, so that nothing but the object tells
what the comments will say. They name the object (りんご, 魚, 車, …) or its quality; its box,
recorded for every second (`object_boxes`), is where its words' attention should fall.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np

WIDTH, HEIGHT, FPS = 320, 180, 10
SCENE_SECONDS = 8
OBJECT_SCENE_SECONDS = 4
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Samples")

# kind -> (scene words used in comments, comment templates)
KINDS = {
    "sea": ["海", "波", "青い"],
    "sunset": ["太陽", "夕焼け", "赤い"],
    "forest": ["森", "緑", "木"],
    "night": ["星", "夜", "暗い"],
    "snow": ["雪", "白い", "寒い"],
    "city": ["ビル", "街", "都会"],
}
TEMPLATES = ["{w}", "{w}きれい", "{w}だ", "{w}すごい", "{w}いいね", "{w}きた", "{w}！", "{a}と{b}"]
CHATTER = ["ｗｗｗｗｗ", "8888888", "草", "かわいい", "きたああああ", "うぽつ", "ｗｗｗ", "なにこれ"]


def scene_frame(kind, t, rng_params):
    """One RGB frame of a scene at time t seconds since the scene started, and the main
    object's bounding box (x0, y0, x1, y1) in pixels."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    img = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    ox, oy = rng_params["ox"], rng_params["oy"]  # object centre as fractions
    cx, cy = ox * WIDTH, oy * HEIGHT
    if kind == "sea":
        img[...] = (20, 60, 170)
        waves = 0.5 + 0.5 * np.sin(x / 9.0 + 3.0 * t + np.sin(y / 7.0))
        crest = (waves > 0.85) & (y > HEIGHT * 0.35)
        img[crest] = (230, 240, 255)
        img[y < HEIGHT * 0.35] = (120, 180, 240)
        r = 22
        box = (cx - 2 * r, cy - r / 2, cx + 2 * r, cy + r / 2)
        boat = (np.abs(x - cx) < 2 * r) & (np.abs(y - cy) < r / 2)
        img[boat] = (120, 70, 30)
    elif kind == "sunset":
        grad = (y / HEIGHT)[..., None]
        img[...] = (250, 120, 40) * (1 - grad) + (90, 20, 60) * grad
        r = 28 + 3 * math.sin(t)
        disc = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[disc] = (255, 230, 60)
        box = (cx - r, cy - r, cx + r, cy + r)
    elif kind == "forest":
        img[...] = (150, 210, 140)
        img[y > HEIGHT * 0.75] = (60, 110, 40)
        for i in range(-1, 6):
            tx = (i * 70 + 20 * t) % (WIDTH + 70) - 35
            tri = (np.abs(x - tx) < (y - HEIGHT * 0.25) * 0.45) & (y < HEIGHT * 0.8)
            img[tri] = (20, 90, 30)
        r = 30
        big = (np.abs(x - cx) < (y - (cy - r)) * 0.6) & (y > cy - r) & (y < cy + r)
        img[big] = (10, 60, 15)
        box = (cx - 1.2 * r, cy - r, cx + 1.2 * r, cy + r)
    elif kind == "night":
        img[...] = (8, 8, 30)
        phase = rng_params["stars"]
        for sx, sy, sp in phase:
            tw = 0.6 + 0.4 * math.sin(3 * t + sp)
            dot = (x - sx) ** 2 + (y - sy) ** 2 < 2.5
            img[dot] = (255 * tw, 255 * tw, 220 * tw)
        r = 16
        moon = ((x - cx) ** 2 + (y - cy) ** 2 < r * r) & ((x - cx - 7) ** 2 + (y - cy + 4) ** 2 > r * r * 0.7)
        img[moon] = (250, 250, 200)
        box = (cx - r, cy - r, cx + r, cy + r)
    elif kind == "snow":
        img[...] = (170, 180, 200)
        img[y > HEIGHT * 0.7] = (245, 245, 250)
        for sx, sy, sp in rng_params["stars"]:
            fy = (sy + 25 * t) % HEIGHT
            fx = sx + 6 * math.sin(t + sp)
            flake = (x - fx) ** 2 + (y - fy) ** 2 < 5
            img[flake] = (255, 255, 255)
        r = 20
        body = ((x - cx) ** 2 + (y - cy - r * 0.6) ** 2 < r * r) | ((x - cx) ** 2 + (y - cy + r * 0.8) ** 2 < (0.6 * r) ** 2)
        img[body] = (255, 255, 255)
        box = (cx - r, cy - 1.4 * r, cx + r, cy + 1.6 * r)
    else:  # city
        img[...] = (60, 60, 70)
        for i in range(9):
            bx0 = i * 38 - (4 * t) % 38
            h = 50 + (i * 37 % 60)
            building = (x >= bx0) & (x < bx0 + 30) & (y > HEIGHT - h)
            img[building] = (110, 110, 120)
            windows = building & ((x.astype(int) % 6) < 3) & ((y.astype(int) % 8) < 4)
            img[windows] = (250, 220, 90)
        w, h = 26, 90
        tower = (np.abs(x - cx) < w / 2) & (y > cy - h / 2) & (y < cy + h / 2)
        img[tower] = (200, 40, 40)
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return np.clip(img, 0, 255).astype(np.uint8), box


# object kind -> its words; the first is the object's name
OBJECTS = {
    "apple": ["りんご", "赤い"],
    "fish": ["魚", "泳ぐ"],
    "car": ["車", "速い"],
    "umbrella": ["傘", "雨"],
    "flower": ["花", "咲く"],
    "house": ["家", "屋根"],
}
OBJECT_RADIUS = 32  # pixels: an object covers ~8 % of the frame


def clutter(seed):
    """A background for one second of an objects clip: muted blobs and stripes on grey, twice
    the frame's width so it can pan."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:2 * WIDTH].astype(np.float32)
    img = np.zeros((HEIGHT, 2 * WIDTH, 3), np.float32)
    img[...] = (128, 124, 118)
    img += 10 * np.sin(x / 23.0)[..., None] * np.cos(y / 17.0)[..., None]
    for _ in range(90):
        bx, by = rng.uniform(0, 2 * WIDTH), rng.uniform(0, HEIGHT)
        r = rng.uniform(4, 12)
        tone = rng.uniform(90, 170, size=3)
        img[(x - bx) ** 2 + (y - by) ** 2 < r * r] = tone
    return img


def draw_object(img, x, y, kind, cx, cy, t):
    """Draws one object centred at (cx, cy) into img; returns its box (x0, y0, x1, y1) in pixels."""
    r = OBJECT_RADIUS
    if kind == "apple":
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = (210, 20, 30)
        img[(np.abs(x - cx) < 2) & (y > cy - r - 8) & (y < cy - r + 4)] = (90, 50, 20)
        img[((x - cx - 9) / 9) ** 2 + ((y - cy + r + 2) / 4) ** 2 < 1] = (40, 160, 40)
        return (cx - r, cy - r - 8, cx + r, cy + r)
    if kind == "fish":
        img[((x - cx) / (1.3 * r)) ** 2 + ((y - cy) / (0.7 * r)) ** 2 < 1] = (250, 140, 20)
        tail = (x > cx + 1.1 * r) & (x < cx + 1.9 * r) & (np.abs(y - cy) < (x - cx - 1.1 * r) * 0.9)
        img[tail] = (250, 140, 20)
        img[(x - cx + 0.7 * r) ** 2 + (y - cy + 0.15 * r) ** 2 < 12] = (10, 10, 10)
        return (cx - 1.3 * r, cy - 0.75 * r, cx + 1.9 * r, cy + 0.75 * r)
    if kind == "car":
        img[(np.abs(x - cx) < 1.3 * r) & (y > cy - 0.2 * r) & (y < cy + 0.5 * r)] = (30, 80, 220)
        img[(np.abs(x - cx) < 0.7 * r) & (y > cy - 0.75 * r) & (y <= cy - 0.2 * r)] = (120, 190, 250)
        for wx in (cx - 0.75 * r, cx + 0.75 * r):
            img[(x - wx) ** 2 + (y - cy - 0.55 * r) ** 2 < (0.32 * r) ** 2] = (15, 15, 15)
        return (cx - 1.3 * r, cy - 0.75 * r, cx + 1.3 * r, cy + 0.9 * r)
    if kind == "umbrella":
        img[((x - cx) ** 2 + (y - cy) ** 2 < r * r) & (y < cy)] = (150, 40, 200)
        img[(np.abs(x - cx) < 2) & (y >= cy) & (y < cy + r)] = (40, 30, 30)
        hook = (x - cx + 5) ** 2 + (y - cy - r) ** 2
        img[(hook < 36) & (hook > 9) & (y > cy + r)] = (40, 30, 30)
        return (cx - r, cy - r, cx + r, cy + r + 6)
    if kind == "flower":
        for k in range(6):
            a = k * math.pi / 3 + 0.3 * t
            px, py = cx + 0.55 * r * math.cos(a), cy + 0.55 * r * math.sin(a)
            img[(x - px) ** 2 + (y - py) ** 2 < (0.45 * r) ** 2] = (250, 120, 190)
        img[(x - cx) ** 2 + (y - cy) ** 2 < (0.35 * r) ** 2] = (250, 220, 30)
        return (cx - r, cy - r, cx + r, cy + r)
    # house
    img[(np.abs(x - cx) < 0.9 * r) & (y > cy - 0.2 * r) & (y < cy + r)] = (230, 210, 160)
    img[(y <= cy - 0.2 * r) & (y > cy - r) & (np.abs(x - cx) < (y - (cy - r)) * 1.4)] = (170, 30, 30)
    img[(np.abs(x - cx) < 0.2 * r) & (y > cy + 0.35 * r) & (y < cy + r)] = (100, 60, 30)
    return (cx - 1.12 * r, cy - r, cx + 1.12 * r, cy + r)


def object_frame(kind, t, params, background):
    """One RGB frame of an objects scene at time t seconds since the scene started, and the
    object's bounding box (x0, y0, x1, y1) in pixels: the scene's object drifting over the
    panning clutter."""
    pan = int(6 * (params["scene"] * OBJECT_SCENE_SECONDS + t)) % WIDTH
    img = background[:, pan:pan + WIDTH].copy()
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cx = params["ox"] * WIDTH + 8 * math.sin(0.6 * t + params["phase"])
    cy = params["oy"] * HEIGHT + 5 * math.cos(0.5 * t + params["phase"])
    box = draw_object(img, x, y, kind, cx, cy, t)
    return np.clip(img, 0, 255).astype(np.uint8), box


def make_clip(name, kinds, seed, comments_per_second, start_no=1):
    """Writes NAME.mp4 and NAME.xml; `kinds` are scene kinds (KINDS) or object kinds (OBJECTS).
    A scene's `object_box` is its object's box in its last frame; objects scenes also record
    `object_boxes`, the box at every whole second of the scene."""
    rng = np.random.default_rng(seed)
    objects = kinds[0] in OBJECTS
    seconds = OBJECT_SCENE_SECONDS if objects else SCENE_SECONDS
    words_of = OBJECTS if objects else KINDS
    background = None
    scenes = []
    frames_path = os.path.join(ROOT, name + ".rgb")
    fraction = lambda b: [max(0.0, b[0] / WIDTH), max(0.0, b[1] / HEIGHT), min(1.0, b[2] / WIDTH), min(1.0, b[3] / HEIGHT)]
    with open(frames_path, "wb") as sink:
        for index, kind in enumerate(kinds):
            params = {
                "ox": float(rng.uniform(0.2, 0.8)),
                "oy": float(rng.uniform(0.3, 0.7)),
                "stars": [(float(rng.uniform(0, WIDTH)), float(rng.uniform(0, HEIGHT)), float(rng.uniform(0, 6)))
                          for _ in range(40)],
                "scene": index,
            }
            if objects:  # drawn only here, so the scene clips' random streams stay as they were
                params["phase"] = float(rng.uniform(0, 6))
            box, boxes = None, []
            for f in range(seconds * FPS):
                if objects:
                    if f % FPS == 0:  # new clutter every second, so it tells nothing about the scene
                        background = clutter(seed * 100_000 + index * 100 + f // FPS)
                    frame, box = object_frame(kind, f / FPS, params, background)
                else:
                    frame, box = scene_frame(kind, f / FPS, params)
                if f % FPS == 0:
                    boxes.append(fraction(box))
                sink.write(frame.tobytes())
            scene = {
                "start": index * seconds, "end": (index + 1) * seconds, "kind": kind,
                "words": words_of[kind], "object_box": fraction(box),
            }
            if objects:
                scene["object_boxes"] = boxes
            scenes.append(scene)
    duration = len(kinds) * seconds
    video = os.path.join(ROOT, name + ".mp4")
    subprocess.run([
        "ffmpeg", "-v", "error", "-y", "-threads", "1",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", frames_path,
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={duration}",
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "medium", "-crf", "30", "-pix_fmt", "yuv420p", "-x264-params", "threads=1",
        "-c:a", "aac", "-b:a", "48k", "-ac", "1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-movflags", "+faststart",
        "-shortest", video,
    ], check=True)
    os.remove(frames_path)

    chats = []
    for scene in scenes:
        words = scene["words"]
        count = int(seconds * comments_per_second)
        for _ in range(count):
            t = scene["start"] + 0.3 + float(rng.uniform(0, seconds - 0.6))
            if rng.uniform() < 0.75:
                template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
                a, b = rng.choice(len(words), 2, replace=False)
                text = template.format(w=words[int(a)], a=words[int(a)], b=words[int(b)])
            else:
                text = CHATTER[int(rng.integers(len(CHATTER)))]
            mail = ["184"]
            roll = rng.uniform()
            if roll < 0.08:
                mail.append("ue")
            elif roll < 0.14:
                mail.append("shita")
            if rng.uniform() < 0.1:
                mail.append(["red", "yellow", "cyan", "green"][int(rng.integers(4))])
            if rng.uniform() < 0.08:
                mail.append("big")
            chats.append((int(round(t * 100)), " ".join(mail), text))
    chats.sort()
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<packet>",
             f'<thread thread="1000000001" last_res="{len(chats)}" ticket="0x0" revision="1" server_time="1700000000"/>']
    for no, (vpos, mail, text) in enumerate(chats, start=start_no):
        lines.append(f'<chat thread="1000000001" no="{no}" vpos="{vpos}" date="{1700000000 + no}" mail="{mail}" '
                     f'user_id="sample{no % 97}" anonymity="1">{text}</chat>')
    lines.append("</packet>")
    with open(os.path.join(ROOT, name + ".xml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return {"video": name + ".mp4", "comments": name + ".xml", "duration": duration,
            "width": WIDTH, "height": HEIGHT, "fps": FPS, "scenes": scenes}


def main():
    os.makedirs(ROOT, exist_ok=True)
    order = list(KINDS)
    rng = np.random.default_rng(20261123)
    episode_kinds = [order[int(i)] for i in np.concatenate([rng.permutation(6) for _ in range(3)])]
    other_kinds = [order[int(i)] for i in rng.permutation(6)]
    objects = list(OBJECTS)
    object_episode = [objects[int(i)] for i in np.concatenate([rng.permutation(6) for _ in range(6)])]
    object_other = [objects[int(i)] for i in np.concatenate([rng.permutation(6) for _ in range(2)])]
    manifest = {
        "episode": make_clip("episode", episode_kinds, seed=1, comments_per_second=3),
        "other": make_clip("other", other_kinds, seed=2, comments_per_second=3, start_no=1),
        "objects": make_clip("objects", object_episode, seed=3, comments_per_second=3),
        "objects-other": make_clip("objects-other", object_other, seed=4, comments_per_second=3),
    }
    with open(os.path.join(ROOT, "scenes.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    print("wrote", ", ".join(sorted(os.listdir(ROOT))), file=sys.stderr)


if __name__ == "__main__":
    main()
