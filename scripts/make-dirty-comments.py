#!/usr/bin/env python3
"""Writes a dirty variant of a Niconico XML comment file, with the quirks of real dumps:
UTF-8 mis-decoded as Latin-1 or CP1252, C0/C1 control characters, U+FFFD runs, multi-line
and block-character comment art, and loops (`遺影遺影…` twenty times). Deterministic.

    scripts/make-dirty-comments.py Samples/episode.xml dirty.xml
"""
import random
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def latin1(text):
    return text.encode("utf-8").decode("latin-1")


def cp1252(text):
    # windows-1252 as browsers decode it: the five undefined bytes stay C1 controls.
    return "".join(chr(b) if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in text.encode("utf-8"))


ART = [
    "\u3000∧＿∧\n（\u3000´∀｀）\n（\u3000\u3000\u3000\u3000）\n\u3000ｙ\u3000ｙ",
    "░▒▒▓▓▓▓\n░▒▒▓▓▓▓\n░▒▒▓▓▓▓",
    "█▇▆▅▃▁▁▂▃▅▆▇█",
    "\u00a0\u00a0\u00a0\u00a0████\u00a0\u00a0████",
    "⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿⣿",
    "┏━━━━━┓\n┃\u3000海\u3000┃\n┗━━━━━┛",
]
LOOPS = ["遺影" * 20, "鈍痛" * 20, "草生える" * 12]


def main(source, target):
    rng = random.Random(14)
    root = ET.parse(source).getroot()
    chats = [c for c in root if c.tag == "chat"]
    rows = []
    no = max(int(c.get("no", "0")) for c in chats)
    for chat in chats:
        text = chat.text or ""
        r = rng.random()
        if r < 0.15:
            text = latin1(text)
        elif r < 0.25:
            text = cp1252(text)
        elif r < 0.32:
            text = text[: len(text) // 2] + rng.choice(["\x07", "\x1b", "\x85", "\x9f", "\x00"]) + text[len(text) // 2 :]
        elif r < 0.36:
            text = "\ufffd\ufffd" + text
        rows.append((int(chat.get("vpos")), dict(chat.attrib), text))
    span = max(v for v, _, _ in rows)
    for kind, texts, count in (("art", ART, 60), ("loop", LOOPS, 40)):
        for i in range(count):
            no += 1
            rows.append((rng.randrange(0, span), {"no": str(no), "user_id": f"{kind}{i}", "mail": "184"}, texts[i % len(texts)]))
    rows.sort(key=lambda row: row[0])
    with open(target, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<packet>\n')
        for vpos, attributes, text in rows:
            attributes["vpos"] = str(vpos)
            # Control characters XML 1.0 forbids (C0 but tab/LF/CR) are written as they come in
            # real dumps would break the parser; danmaku replaces them with spaces, so write them raw.
            body = escape(text).replace("\n", "&#10;")
            out.write("<chat " + " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items()) + ">" + body + "</chat>\n")
        out.write("</packet>\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
