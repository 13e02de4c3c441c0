#!/usr/bin/env python3
"""Writes the project's own comment fixtures and the manifest of what the tests expect of them.

    python3 scripts/make-comment-fixtures.py          # writes Tests/Fixtures/comments/*
    python3 scripts/make-comment-fixtures.py --check  # exits 1 when a committed file differs

Deterministic (a SplitMix64 seeded with a constant; no other input), standard library only.
The output is committed; `make test` does not run this script, the tests compare with it.

The files imitate the real comment files of ../shared/fixtures and have every quirk its
README lists, so that the project's own suite faces them without the third-party files:

- niconico-reply.xml: a legacy reply as saved from the API: no XML declaration, <thread>,
  <leaf>, <global_num_res>, <view_counter> and <num_click>, deleted chats (self-closing,
  no text), owner scripts with entities (one over 1000 characters), owner speech, no="-1",
  vpos negative, past the end of a 5 s clip and in the millions, score -53080, multi-line
  ASCII art of U+00A0 and block characters, entities, every kind of mail token (typos,
  unknown and empty ones, Japanese words), invisible and blank comments.
- niconico-pretty.xml: a UTF-8 BOM, an XML declaration, pretty-printed with tabs (also
  between attributes).
- bilibili-old.xml: CRLF line ends, the old 8-field p with float times (8.2299995422363),
  the fake first entry with 000000 fields, /n as a line break, mode 7 with JSON-array text,
  modes 4-6 and 8, double-escaped entities (&amp;#128514;), times up to 365683 s (101 h).
- bilibili-new.xml: the modern 9-field p, pools 0/1/2, modes 1/4/5/7.

manifest.json holds, per file, what the generator put in it, derived from the comments it
generated (never from running danmaku): how many comments a reader returns, how many the
training filter keeps and drops per reason (its first reason, in the order deleted,
owner-script, invisible, not-plain-text, empty, art), the vpos range, the positions, the sha256
of the file, and "probes": chosen comments with the fields a reader must give them.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "comments")
MASK = (1 << 64) - 1


class SplitMix64:
    """The generator the project uses for seeds (Steele, Lea, Flood 2014)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def choice(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


def xml_escape(text, quote=False):
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def is_blank(text):
    return all(c.isspace() for c in text)


# Comment art as Comments.ArtClassifier defines it: several lines, mostly box-drawing, block,
# braille or padding characters (spaces not counted), or longer than 100 characters.
NEWLINES = "\n\r\x0b\x0c\x85\u2028\u2029"
ART_PADDING = {0x00A0, 0x202F, 0x205F, 0x115F, 0x1160, 0x3164, 0xFFA0} | set(range(0x2000, 0x200C))


def is_art(text):
    if any(c in NEWLINES for c in text.strip(NEWLINES)):
        return True
    counted = [ord(c) for c in text if c not in " \u3000"]
    art = sum(1 for v in counted if 0x2500 <= v <= 0x259F or 0x2800 <= v <= 0x28FF or v in ART_PADDING)
    return (counted and art / len(counted) > 0.5) or len(text) > 100


def round_half_away(value):
    """Rounds as Swift's `rounded()` does (half away from zero)."""
    whole = int(value)
    fraction = value - whole
    if fraction >= 0.5:
        return whole + 1
    if fraction <= -0.5:
        return whole - 1
    return whole


# ---------------------------------------------------------------------------------------------
# What the generator knows of each comment it writes, and what a reader must make of it.

class Chat:
    """One comment as generated: the decoded text and the facts the reader must recover."""

    def __init__(self, vpos, text, mail="", number=0, date=0, user_id=None, deleted=0, fork=False,
                 premium=False, anonymity=False, score=None, mode=None, raw=None, pair=False):
        self.vpos, self.text, self.mail = vpos, text, mail
        self.number, self.date, self.user_id = number, date, user_id
        self.deleted, self.fork, self.premium, self.anonymity = deleted, fork, premium, anonymity
        self.score, self.mode = score, mode
        # `raw`: the element text as written, when not the plain escaping of `text`;
        # `pair`: an empty deleted chat written <chat …></chat> rather than self-closing.
        self.raw, self.pair = raw, pair

    @property
    def tokens(self):
        return [t for t in self.mail.replace("\u3000", " ").replace("\t", " ").split(" ") if t]

    @property
    def is_owner(self):
        if self.mode is not None:
            return False
        return self.fork or (self.user_id is None and not self.deleted)

    @property
    def position(self):
        if self.mode is not None:
            return {4: "shita", 5: "ue"}.get(self.mode, "naka")
        return next((t for t in self.tokens if t in ("ue", "naka", "shita")), "naka")

    @property
    def drop_reason(self):
        if self.deleted:
            return "deleted"
        if self.is_owner and self.text.startswith("/"):
            return "owner-script"
        if "invisible" in self.tokens:
            return "invisible"
        if self.mode is not None and not 1 <= self.mode <= 5:
            return "not-plain-text"
        if is_blank(self.text):
            return "empty"
        if "ca" in self.tokens or is_art(self.text):
            return "art"
        return None

    def probe(self, index, why):
        fields = {"index": index, "why": why, "vpos": self.vpos, "text": self.text,
                  "number": self.number, "date": self.date, "userID": self.user_id or "",
                  "mail": self.tokens, "isDeleted": bool(self.deleted), "isOwner": self.is_owner,
                  "position": self.position, "dropReason": self.drop_reason}
        if self.mode is not None:
            fields["bilibiliMode"] = self.mode
            del fields["mail"]
        if self.score is not None:
            fields["score"] = self.score
        return fields


def summary(name, fmt, chats, probes, quirks, data):
    dropped = {}
    for chat in chats:
        reason = chat.drop_reason
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
    positions = {"naka": 0, "ue": 0, "shita": 0}
    for chat in chats:
        positions[chat.position] += 1
    kept = [chat for chat in chats if chat.drop_reason is None]
    return {
        "name": name, "format": fmt, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "quirks": quirks,
        "read": len(chats), "kept": len(kept), "dropped": dict(sorted(dropped.items())),
        "deleted": sum(1 for c in chats if c.deleted),
        "owner": sum(1 for c in chats if c.is_owner),
        "vposMin": min(c.vpos for c in chats), "vposMax": max(c.vpos for c in chats),
        "positions": positions,
        "firstKept": kept[0].probe(chats.index(kept[0]), "the first kept comment"),
        "probes": [chats[i].probe(i, why) for i, why in probes],
    }


# ---------------------------------------------------------------------------------------------
# Niconico

NICO_TEXTS = [
    "うぽつ", "わこつ", "きたああああ", "ｷﾀ━━━━(ﾟ∀ﾟ)━━━━!!", "ｗｗｗｗｗｗｗｗ", "ｗｗｗ", "草", "8888888",
    "かわいい", "かわいいいいい", "ここすき", "神回", "初見", "すげえ", "なにこれ", "ﾜﾛﾀ", "ハム太郎",
    "うさぎかわいい", "こんにちは", "おはよう", "いい曲", "泣いた", "鳥肌", "ええ…", "まじか",
    "ここ好き", "今北産業", "888888888888", "おつ", "はやい", "ｗ", "ファッ！？", "懐かしい",
    "リスさん", "蝶々きれい", "りんご落ちた", "森の中", "朝だ", "でかい", "ちっちゃい",
    "ｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗｗ", "全画面推奨", "BGMいいね", "あっ", "うわあああ",
]
NICO_MAILS = [
    "", "", "", "", "184", "184", "184", "184 device:3DS", "ue small 184", "184 shita big red",
    "naka medium", "iPhone 184", "docomo", "softbank 184", "device:Switch", "@7 ue", "#10C1D0",
    "full ender", "patissier", "mincho", "_live", "local", "patisser middle gray", "W34 c9",
    "  184   big  ", "赤 184", "gothic niconicowhite", "@999 shita", "ca", "yellow", "green 184",
    "pink small", "184\u3000cyan", "blue2", "truered big", "orange", "purple ue", "black",
]
ART = "\u00a0\u00a0\u00a0\u25a0\u25a0\u00a0\u00a0\n\u00a0\u2588\u2580\u2580\u2580\u2588\u00a0\n" \
      "\u00a0\u2588\u00a0\u00a0\u00a0\u2588\u00a0\n\u00a0\u2580\u2580\u2580\u2580\u2580\u00a0\n\u00a0\u00a0\u2593\u2593\u2593\u00a0\u00a0"
LONG_SCRIPT = "/commentlock on " + "<b>&\"台本\"</b>" * 80


def chat_element(thread, chat, attribute_separator=" "):
    attributes = [("thread", str(thread)), ("no", str(chat.number)), ("vpos", str(chat.vpos))]
    if chat.date:
        attributes.append(("date", str(chat.date)))
    if chat.deleted:
        attributes.append(("deleted", str(chat.deleted)))
    if chat.premium:
        attributes.append(("premium", "1"))
    if chat.anonymity:
        attributes.append(("anonymity", "1"))
    if chat.score is not None:
        attributes.append(("score", str(chat.score)))
    if chat.fork:
        attributes.append(("fork", "1"))
    if chat.mail or not chat.deleted:
        attributes.append(("mail", chat.mail))
    if chat.user_id is not None:
        attributes.append(("user_id", chat.user_id))
    head = "<chat" + "".join(f'{attribute_separator}{k}="{xml_escape(v, quote=True)}"' for k, v in attributes)
    if chat.deleted and not chat.text and not chat.pair:
        return head + "/>"
    return head + ">" + (chat.raw if chat.raw is not None else xml_escape(chat.text, quote=True)) + "</chat>"


def niconico_reply(rng):
    thread, date = 1402131852, 1402132048
    chats = []
    special = {}  # position in the file -> (chat, why)

    def user():
        return rng.choice(["752789", "3811204", "21337", "a:YhO0bT7aPzyNW1Wx", "9004711", "550181"]) \
            if rng.chance(35) else "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
                                           for _ in range(27))

    def vpos():
        roll = rng.below(100)
        if roll < 40:
            return 19 + rng.below(500)         # on the 5 s clip
        if roll < 95:
            return 520 + rng.below(4900)       # past its end, within the 54 s the real file spans
        return 5420 + rng.below(30000)

    # The usual first comment of a thread.
    chats.append(Chat(76, "1", user_id="752789"))
    specials = [
        (Chat(88, "", deleted=1, anonymity=True), "deleted, self-closing, no user_id"),
        (Chat(91, "", deleted=2, user_id="3811204"), "deleted=2, self-closing, with a user_id"),
        (Chat(102, "", deleted=1), "deleted, self-closing"),
        (Chat(135, "", deleted=1, user_id="21337", pair=True), "deleted, an empty pair"),
        (Chat(0, '/nicoad {"totalAdPoint":1500,"message":"<広告>&ありがとう"}', mail="184", fork=True),
         "owner script with entities (fork=1)"),
        (Chat(0, LONG_SCRIPT, mail="shita", fork=True), "owner script over 1000 characters of entities"),
        (Chat(10, "/jump sm9 \"次回\"", user_id=None), "owner script marked only by the missing user_id"),
        (Chat(20, "うp主です", mail="shita red big", fork=True), "owner speech, kept"),
        (Chat(30, "/これは視聴者", user_id="9004711"), "a viewer's text starting with /, kept"),
        (Chat(123456789, "live", user_id="550181", score=-53080), "vpos in the millions, score -53080"),
        (Chat(-150, "始まる前", user_id="550181"), "vpos before the start"),
        (Chat(99999999, "終わった後", mail="184", user_id="550181"), "vpos long past the end"),
        (Chat(240, ART, mail="ca shita", user_id="550181", premium=True), "multi-line ASCII art of NBSP and blocks"),
        (Chat(260, "<3 & 😂 あ \"x'", user_id="21337", raw="&lt;3 &amp; &#x1F602; &#12354; &quot;x&apos;"),
         "entities and character references"),
        (Chat(300, "見えない", mail="invisible 184", user_id="21337"), "invisible"),
        (Chat(310, "\u3000", mail="184", user_id="21337"), "whitespace only"),
        (Chat(320, "@7 local #10C1D0", mail="@7 local #10C1D0 ca full ender patissier mincho _live",
              user_id="3811204"), "every flag token"),
        (Chat(330, "タイポ", mail="patisser middle gray W34 c9 赤 @999", user_id="3811204"), "typos and unknown tokens"),
    ]
    # Spread the special chats among 190 ordinary ones, in the file's (posting) order.
    slots = sorted(rng.below(190) for _ in specials)
    ordinary = 0
    for slot, (chat, why) in zip(slots + [190], specials + [(None, None)]):
        while ordinary < slot:
            ordinary += 1
            chats.append(Chat(vpos(), rng.choice(NICO_TEXTS), mail=rng.choice(NICO_MAILS),
                              user_id=user(), premium=rng.chance(20), anonymity=rng.chance(10)))
        if chat is not None:
            special[len(chats)] = why
            chats.append(chat)
    # Numbers and dates in posting order, as the server gives them; one -1 as live files have.
    for number, chat in enumerate(chats, start=1):
        chat.number, chat.date = number, date
        date += 1 + rng.below(400)
    minus_one = next(i for i, c in enumerate(chats) if c.text == "live")
    chats[minus_one].number = -1
    special[minus_one] += ", no=-1"

    lines = [f'<packet><thread resultcode="0" thread="{thread}" last_res="{len(chats)}" '
             f'ticket="0x2c7b9f80" revision="1" server_time="1424013622"/>',
             f'<global_num_res thread="{thread}" num_res="{len(chats)}"/>',
             f'<leaf thread="{thread}" count="{len(chats) // 3}"/>',
             f'<leaf thread="{thread}" leaf="1" count="{len(chats) - len(chats) // 3}"/>',
             '<view_counter video="95874" id="sm23726371" mylist="1205"/>',
             f'<num_click thread="{thread}" no="12" count="3"/>']
    lines += [chat_element(thread, chat) for chat in chats]
    lines.append("</packet>")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    quirks = ["no XML declaration", "<thread> <leaf> <global_num_res> <view_counter> <num_click>",
              "deleted self-closing chats", "owner scripts with entities", "no=\"-1\"",
              "vpos negative, past the end and in the millions", "score -53080", "multi-line NBSP art",
              "mail typos, unknown and empty tokens, Japanese words"]
    return data, summary("niconico-reply.xml", "niconicoXML", chats, sorted(special.items()), quirks, data)


def niconico_pretty(rng):
    thread, date = 1500000000, 1500000100
    chats = [Chat(50 + 37 * i, rng.choice(NICO_TEXTS), mail=rng.choice(NICO_MAILS), number=i + 1,
                  date=date + 11 * i, user_id=f"u{rng.below(100000)}") for i in range(30)]
    chats[7] = Chat(chats[7].vpos, "タブ\tの後", number=8, date=chats[7].date, user_id="u1")
    chats[12] = Chat(chats[12].vpos, "", number=13, date=chats[12].date, deleted=1)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<packet>",
             f'\t<thread\tresultcode="0"\tthread="{thread}"\tlast_res="30"\trevision="1"/>',
             f'\t<leaf thread="{thread}" count="30"/>']
    lines += ["\t" + chat_element(thread, chat, attribute_separator="\n\t\t" if i % 5 == 0 else "\t")
              for i, chat in enumerate(chats)]
    lines.append("</packet>")
    data = b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8")
    probes = [(7, "a tab inside the text"), (12, "deleted, self-closing"), (15, "attributes on lines of their own")]
    quirks = ["UTF-8 BOM", "XML declaration", "pretty-printed with tabs, also between attributes"]
    return data, summary("niconico-pretty.xml", "niconicoXML", chats, probes, quirks, data)


# ---------------------------------------------------------------------------------------------
# Bilibili

BILI_TEXTS = [
    "前方高能", "哈哈哈哈哈哈", "awsl", "666666", "泪目", "来了来了", "妙啊", "打卡", "前排", "好听",
    "爷青回", "草", "这是什么神仙", "我哭了", "太强了", "233333", "名场面", "高能预警", "弹幕护体",
    "好可爱", "第一次看", "二刷", "兔子好萌", "松鼠坏", "蝴蝶好美", "开始了", "完结撒花", "awsl awsl",
]
BILI_COLOURS = [16777215] * 6 + [16711680, 16776960, 65280, 52479, 16744192, 15138834, 10546688]


def float32_text(value):
    """A time as old Bilibili files write it: a float32 printed with up to 14 digits."""
    import struct
    single = struct.unpack("<f", struct.pack("<f", value))[0]
    text = f"{single:.14g}"
    return text, round_half_away(float(text) * 100)


def bilibili_old(rng):
    chats, entries, special = [], [], {}

    def add(p_time, vpos, mode, size, colour, date, pool, uid, row, raw, text, why=None):
        if why:
            special[len(chats)] = why
        chats.append(Chat(vpos, text, number=row, date=date, user_id=uid, mode=mode))
        entries.append(f'<d p="{p_time},{mode},{size},{colour},{date},{pool},{uid},{row}">{raw}</d>')

    add("0", 0, 1, 25, 16777215, 0, 0, "000000", 0, "000000", "000000", "the fake first entry")
    row, date = 42759017, 1312863760
    for i in range(160):
        text_time, vpos = float32_text(rng.below(5_400_000) / 1000 + rng.below(1000) / 1e7)
        mode = rng.choice([1] * 12 + [4, 5])
        text = rng.choice(BILI_TEXTS)
        add(text_time, vpos, mode, rng.choice([25] * 5 + [18, 36]), rng.choice(BILI_COLOURS), date,
            0, f"{rng.next() & 0xFFFFFFFF:08x}", row, xml_escape(text), text)
        row += 1 + rng.below(30)
        date += rng.below(3000)
        if i == 5:
            add("8.2299995422363", 823, 1, 25, 16777215, 1312863760, 0, "eff85771", 42759016,
                "前方高能", "前方高能", "a float32 time, 8-field p")
        if i == 20:
            add("61.5", 6150, 1, 25, 16777215, date, 0, "d3adbeef", row, "第一行/n第二行/n第三行",
                "第一行\n第二行\n第三行", "/n as a line break")
        if i == 40:
            add("75.25", 7525, 7, 25, 16777215, date, 0, "d3adbeef", row,
                xml_escape('[0,0,"1-1",4.5,"高级弹幕",0,0,0,0,500,0,true,"黑体",1]'),
                '[0,0,"1-1",4.5,"高级弹幕",0,0,0,0,500,0,true,"黑体",1]', "mode 7, JSON-array text")
        if i == 60:
            add("80", 8000, 8, 25, 16777215, date, 2, "d3adbeef", row, "Player.seek(0);", "Player.seek(0);",
                "mode 8, code")
            add("81", 8100, 6, 25, 16777215, date, 0, "d3adbeef", row + 1, "逆向", "逆向", "mode 6, reverse")
        if i == 80:
            add("90.5", 9050, 1, 25, 16777215, date, 0, "0badf00d", row,
                "笑&amp;#128514;&amp;#x1F602;&amp;amp;&amp;#55357;&amp;#56836;", "笑😂😂&😄", "double-escaped entities")
        if i == 100:
            add("365683.123", 36568312, 1, 25, 16777215, date, 0, "0badf00d", row, "101 小时", "101 小时",
                "a time 101 hours in")
        if i == 120:
            add("95", 9500, 1, 25, 16777215, date, 0, "0badf00d", row, "　", "\u3000", "whitespace only")
    head = ('<?xml version="1.0" encoding="UTF-8"?><i><chatserver>chat.bilibili.com</chatserver>'
            "<chatid>1059</chatid><mission>0</mission><maxlimit>1500</maxlimit><state>0</state>"
            "<real_name>0</real_name><source>k-v</source>")
    data = ("\r\n".join([head] + entries + ["</i>"]) + "\r\n").encode("utf-8")
    quirks = ["CRLF line ends", "8-field p with float32 times", "the fake 000000 first entry", "/n line breaks",
              "mode 7 JSON text", "modes 6 and 8", "double-escaped entities", "times up to 365683 s"]
    return data, summary("bilibili-old.xml", "bilibiliXML", chats, sorted(special.items()), quirks, data)


def bilibili_new(rng):
    chats, entries, special = [], [], {}
    date = 1626077354
    for i in range(300):
        millis = rng.below(330_000)
        text_time = f"{millis / 1000:.5f}"
        vpos = round_half_away(float(text_time) * 100)
        mode = rng.choice([1] * 10 + [4, 5])
        text = rng.choice(BILI_TEXTS)
        raw = xml_escape(text)
        if i == 150:
            mode, text = 7, '[120,80,"1-0",3,"你好",0,0,120,80,1000,0,1,"SimHei",1]'
            raw = xml_escape(text)
            special[i] = "mode 7 in the new format"
        uid = f"{rng.next() & 0xFFFFFFFF:08x}"
        row = 51870527213010951 + rng.below(10**12)
        size = rng.choice([25] * 6 + [18, 36])
        entries.append(f'<d p="{text_time},{mode},{size},{rng.choice(BILI_COLOURS)},{date},'
                       f'{rng.choice([0, 0, 0, 1, 2])},{uid},{row},{1 + rng.below(11)}">{raw}</d>')
        chats.append(Chat(vpos, text, number=row, date=date, user_id=uid, mode=mode))
        date += rng.below(600)
    special.setdefault(0, "the first entry, 9-field p")
    head = ('<?xml version="1.0" encoding="UTF-8"?><i><chatserver>chat.bilibili.com</chatserver>'
            "<chatid>374573470</chatid><mission>0</mission><maxlimit>3000</maxlimit><state>0</state>"
            "<real_name>0</real_name><source>k-v</source>")
    data = ("\n".join([head] + entries + ["</i>"]) + "\n").encode("utf-8")
    quirks = ["9-field p", "pools 0, 1 and 2", "mode 7 JSON text"]
    return data, summary("bilibili-new.xml", "bilibiliXML", chats, sorted(special.items()), quirks, data)


# ---------------------------------------------------------------------------------------------

def generate():
    """Every file's name and bytes, the manifest last."""
    rng = SplitMix64(0x64616E6D616B75)  # "danmaku"
    files, manifest = [], []
    for make in (niconico_reply, niconico_pretty, bilibili_old, bilibili_new):
        data, entry = make(rng)
        files.append((entry["name"], data))
        manifest.append(entry)
    text = json.dumps({"generator": "scripts/make-comment-fixtures.py", "files": manifest},
                      ensure_ascii=False, indent=1) + "\n"
    files.append(("manifest.json", text.encode("utf-8")))
    return files


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit(f"usage: {sys.argv[0]} [--check]")
    differing = []
    os.makedirs(OUT, exist_ok=True)
    for name, data in generate():
        path = os.path.join(OUT, name)
        if check:
            try:
                with open(path, "rb") as existing:
                    same = existing.read() == data
            except FileNotFoundError:
                same = False
            if not same:
                differing.append(path)
            continue
        with open(path + ".tmp", "wb") as out:
            out.write(data)
        os.replace(path + ".tmp", path)
    if differing:
        sys.exit("differs from what scripts/make-comment-fixtures.py writes: " + ", ".join(differing))


if __name__ == "__main__":
    main()
