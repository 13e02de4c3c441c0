#!/usr/bin/env python3
"""Counts, in a Niconico XML comment file (generated or not), the comments that hold a control
character, mojibake (UTF-8 mis-decoded as Latin-1/CP1252) or a loop: a unit repeated more than
LIMIT times in a row, in characters (units of 2+ characters; runs of one character are memes,
`wwww`) and in the tokens `danmaku tokenize --json` gives.

    scripts/check-generated-comments.py out.xml [--limit 3] [--danmaku PATH]
"""
import argparse
import json
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET

CP1252 = {}
for b in range(0x80, 0xA0):
    try:
        CP1252[bytes([b]).decode("cp1252")] = b
    except UnicodeDecodeError:
        pass


def misread_byte(ch):
    if ord(ch) <= 0xFF:
        return ord(ch)
    return CP1252.get(ch)


def has_mojibake(text):
    """A run of characters a single-byte decoder makes that is well-formed multi-byte UTF-8."""
    run = []
    for ch in text + "\uffff":
        b = misread_byte(ch)
        if b is not None:
            run.append(b)
            continue
        for start in range(len(run)):
            for length in (4, 3, 2):
                chunk = bytes(run[start:start + length])
                if len(chunk) == length and chunk[0] >= 0xC2:
                    try:
                        chunk.decode("utf-8")
                        return True
                    except UnicodeDecodeError:
                        pass
        run = []
    return False


def has_control(text):
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def longest_repeat(items, min_unit=1):
    best = 1 if items else 0
    n = len(items)
    for unit in range(min_unit, n // 2 + 1):
        for start in range(n - unit):
            count = 1
            while items[start + count * unit:start + (count + 1) * unit] == items[start:start + unit]:
                count += 1
            best = max(best, count)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("xml")
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--danmaku", default="danmaku")
    args = parser.parse_args()
    with open(args.xml, encoding="utf-8") as f:
        # Control characters XML forbids would stop the parser: count them apart, then blank them.
        raw = f.read()
    forbidden = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"}
    raw_controls = sum(raw.count(c) for c in forbidden)
    raw = "".join(" " if c in forbidden else c for c in raw)
    texts = [c.text or "" for c in ET.fromstring(raw) if c.tag == "chat"]
    tokenized = subprocess.run([args.danmaku, "tokenize", args.xml, "--json"], capture_output=True, text=True, check=True)
    token_lists = [json.loads(line)["tokens"] for line in tokenized.stdout.splitlines() if line]
    report = {
        "comments": len(texts),
        "control_character": sum(map(has_control, texts)),
        "xml_forbidden_controls": raw_controls,
        "mojibake": sum(map(has_mojibake, texts)),
        f"char_loop_over_{args.limit}": sum(longest_repeat(t, 2) > args.limit for t in texts),
        f"token_loop_over_{args.limit}": sum(longest_repeat(t) > args.limit for t in token_lists),
        "longest_token_repeat": max((longest_repeat(t) for t in token_lists), default=0),
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
