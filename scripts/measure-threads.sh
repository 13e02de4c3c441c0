#!/bin/sh
# Do generated threads read like threads, and does the picture still count? Trains the demo's
# bundle (Samples/episode) with the default context (model.context_comments 5) and without
# (0), renders Samples/other with each, and evaluates each on other.xml. Prints, for the real
# other.xml and both renders, the share of comments that repeat one of the previous 5 s
# (the exact text, and the same "family": NFKC, runs of a character folded, so ｗｗｗ and
# ｗｗｗｗｗ are one wave), and each bundle's grounding and context gains, and its grounding
# gain with nothing on screen.
#
#   scripts/measure-threads.sh [WORKDIR]
#   SCENES=lavfi scripts/measure-threads.sh     # Samples/lavfi/train → test instead
#   SEED=2 scripts/measure-threads.sh           # another training seed (default 1)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-${TMPDIR:-/tmp}/danmaku-threads}
if [ "${SCENES:-}" = lavfi ]; then train=$root/Samples/lavfi/train test=$root/Samples/lavfi/test
else train=$root/Samples/episode test=$root/Samples/other; fi
bin=${DANMAKU_BIN:-$(cd "$root" && swift build -c release --show-bin-path)/danmaku}
mkdir -p "$work"
for k in 5 0; do
    "$bin" train "$train.mp4" "$train.xml" -o "$work/k$k.danmaku" \
        --seed "${SEED:-1}" --set model.context_comments=$k >"$work/train-k$k.log"
    "$bin" render "$test.mp4" -m "$work/k$k.danmaku" -o "$work/k$k.mp4" --xml "$work/k$k.xml" >"$work/render-k$k.log"
    "$bin" eval "$test.mp4" "$test.xml" -m "$work/k$k.danmaku" --json >"$work/eval-k$k.json"
done
python3 - "$test.xml" "$work" <<'EOF'
import json, re, sys, unicodedata
real, work = sys.argv[1], sys.argv[2]

def comments(path):
    text = open(path, encoding="utf-8").read()
    return sorted((int(v) / 100, t) for v, t in re.findall(r'<chat\b[^>]*\bvpos="(-?\d+)"[^>]*>([^<]*)</chat>', text))

def family(text):
    return re.sub(r"(.)\1+", r"\1", unicodedata.normalize("NFKC", text))

def repeat_share(thread, key, window=5.0):
    hits = sum(any(key(t) == key(u) and 0 <= s - r <= window for r, u in thread[:i]) for i, (s, t) in enumerate(thread))
    return hits / max(len(thread), 1)

print("thread              comments  repeats in 5 s (text)  (family)  groundingGainMRR  contextGainMRR  groundingGainNoContextMRR")
for name, path, k in (("real " + real.split("/")[-1], real, None), ("render, context 5", f"{work}/k5.xml", 5), ("render, context 0", f"{work}/k0.xml", 0)):
    thread = comments(path)
    gains = ""
    if k is not None:
        r = json.load(open(f"{work}/eval-k{k}.json"))
        gains = f"  {r['groundingGainMRR']:+16.4f}  {r['contextGainMRR']:+14.4f}  {r['groundingGainNoContextMRR']:+25.4f}"
    print(f"{name:18}  {len(thread):8}  {repeat_share(thread, lambda t: t):21.3f}  {repeat_share(thread, family):8.3f}{gains}")
EOF
