#!/bin/sh
# Does reading the conversation help on a real thread? Trains on the first 70 % of the time
# of a real comment file (default: the 1,200-comment Bilibili thread in ../shared/fixtures)
# over a stand-in video as long as the thread (Samples/episode.mp4 and objects.mp4), once with the
# default context (model.context_comments 5) and once without (0), then evaluates both on
# the last 30 %. Prints perplexity, MRR and the context and grounding gains of each.
#
#   scripts/measure-context.sh [COMMENTS.xml] [WORKDIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
comments=${1:-$root/../shared/fixtures/bilibili-danmaku01.xml}
work=${2:-${TMPDIR:-/tmp}/danmaku-context}
bin=${DANMAKU_BIN:-$(cd "$root" && swift build -c release --show-bin-path)/danmaku}
mkdir -p "$work"
[ -r "$comments" ] || { echo "measure-context: $comments: no such file" >&2; exit 1; }

# The thread split at 70 % of its time span, as two files of the same format.
python3 - "$comments" "$work" <<'EOF'
import re, sys
source, work = sys.argv[1], sys.argv[2]
text = open(source, encoding="utf-8").read()
entry = re.compile(r'<d p="([^"]*)"[^>]*>.*?</d>|<chat\b[^>]*\bvpos="(-?\d+)"[^>]*>.*?</chat>', re.S)
found = list(entry.finditer(text))
def seconds(m):
    return float(m.group(1).split(",")[0]) if m.group(1) is not None else int(m.group(2)) / 100
times = [seconds(m) for m in found]
cut = min(times) + 0.7 * (max(times) - min(times))
head, tail = text[:found[0].start()], text[found[-1].end():]
for name, keep in (("train", lambda t: t < cut), ("test", lambda t: t >= cut)):
    body = "\n".join(m.group(0) for m, t in zip(found, times) if keep(t))
    open(f"{work}/{name}.xml", "w", encoding="utf-8").write(head + body + tail)
print(f"{len(times)} comments over {max(times):.1f} s; train before {cut:.1f} s: "
      f"{sum(t < cut for t in times)}, test after: {sum(t >= cut for t in times)}", file=sys.stderr)
open(f"{work}/duration", "w").write(f"{max(times) + 1:.1f}")
EOF

# A stand-in picture as long as the thread: Samples/episode.mp4 then Samples/objects.mp4
# (288 s of pictures that do not repeat), looped only for a longer thread. LOOP=1 gives the
# earlier stand-in, episode.mp4 looped, where the same frames come back with other comments:
# a picture that contradicts the thread, as no real video does. Each is kept under its own name.
duration=$(cat "$work/duration")
if [ "${LOOP:-0}" = 1 ]; then
    stand_in=$work/stand-in-loop.mp4
    [ -s "$stand_in" ] || ffmpeg -loglevel error -y -stream_loop -1 -i "$root/Samples/episode.mp4" -t "$duration" \
        -an -c:v libx264 -preset veryfast -pix_fmt yuv420p "$stand_in"
else
    stand_in=$work/stand-in.mp4
    if [ ! -s "$stand_in" ]; then
        # -t past the 288 s only ends at their end.
        ffmpeg -loglevel error -y -i "$root/Samples/episode.mp4" -i "$root/Samples/objects.mp4" \
            -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" -t "$duration" \
            -c:v libx264 -preset veryfast -pix_fmt yuv420p "$work/pictures.mp4"
        if python3 -c "exit(0 if $duration > 288 else 1)"; then
            ffmpeg -loglevel error -y -stream_loop -1 -i "$work/pictures.mp4" -t "$duration" -c copy "$stand_in"
            rm "$work/pictures.mp4"
        else
            mv "$work/pictures.mp4" "$stand_in"
        fi
    fi
fi

for k in 5 0; do
    "$bin" train "$stand_in" "$work/train.xml" -o "$work/k$k.danmaku" --set model.context_comments=$k >"$work/train-k$k.log"
    "$bin" eval "$stand_in" "$work/test.xml" -m "$work/k$k.danmaku" --json >"$work/eval-k$k.json"
done
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
print("K  perplexity  MRR     noContext MRR  contextGainMRR  groundingGainMRR  groundingGainNoContextMRR")
for k in (5, 0):
    r = json.load(open(f"{work}/eval-k{k}.json"))
    print(f"{k}  {r['real']['perplexity']:10.2f}  {r['real']['ranking']['mrr']:.4f}  {r['noContext']['ranking']['mrr']:13.4f}"
          f"  {r['contextGainMRR']:+14.4f}  {r['groundingGainMRR']:+16.4f}  {r['groundingGainNoContextMRR']:+25.4f}")
EOF
