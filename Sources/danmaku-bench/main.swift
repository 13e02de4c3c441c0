// danmaku-bench: speed figures as JSON lines, one per case, each measured against the
// references (OpenBLAS sgemm, and later the ffmpeg command line) in the same run.
//
//     danmaku-bench [CASE,CASE,…]     cases: sgemm, comments, comments_hour, media, vgg, captioner, render (default: all);
//                                     captioner-sat, captioner-nic, captioner-real, captioner-context: one case, DANMAKU_BENCH_BATCHES batches
import Foundation
import Tensor

let requested = Set((CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["CASES"] ?? "")
    .split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })

let cases: [(group: String, run: () -> Void)] = [
    ("sgemm", { SgemmBench.run(name: "sgemm_2048", m: 2048, n: 2048, k: 2048) }),
    ("sgemm", { SgemmBench.run(name: "sgemm_conv_512x1568x4608", m: 512, n: 1568, k: 4608) }),
    ("comments", { CommentsBench.run() }),
    ("comments_hour", { CommentsBench.denseHour() }),
    ("media", { MediaBench.decodeScale() }),
    ("media", { MediaBench.encode() }),
    ("media", { MediaBench.peakMemory(name: "21s", loops: 4) }),
    ("media", { MediaBench.peakMemory(name: "10min", loops: 114) }),
    ("vgg", { FeaturesBench.run() }),
    ("captioner", { CaptionerBench.run(kind: .showAttendTell) }),
    ("captioner", { CaptionerBench.run(kind: .showAndTell) }),
    ("captioner", { CaptionerBench.realLengths() }),
    ("captioner", { CaptionerBench.context() }),
    ("captioner-context", { CaptionerBench.context(batches: benchBatches) }),
    ("captioner-real", { CaptionerBench.realLengths(batches: benchBatches) }),
    ("captioner-sat", { CaptionerBench.run(kind: .showAttendTell, batches: benchBatches) }),
    ("captioner-nic", { CaptionerBench.run(kind: .showAndTell, batches: benchBatches) }),
    ("render", { RenderBench.run(comments: 600) }),
    ("render", { RenderBench.run(comments: 3000) }),
    ("render", { BurnBench.run(comments: 600) }),
    ("render", { BurnBench.run(comments: 3000) }),
    ("render", { BurnBench.runOptions(comments: 600) }),
]

/// Batches for the single-model captioner cases (`DANMAKU_BENCH_BATCHES`, default 8), for profiling.
let benchBatches = ProcessInfo.processInfo.environment["DANMAKU_BENCH_BATCHES"].flatMap { Int($0) } ?? 8

let known = Set(cases.map(\.group))
if let unknown = requested.subtracting(known).first {
    FileHandle.standardError.write(Data("danmaku-bench: unknown case '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))\n".utf8))
    exit(64)
}
// With no case named, every group runs except the single-model profiling ones (`captioner-…`).
for entry in cases where requested.isEmpty ? !entry.group.contains("-") : requested.contains(entry.group) {
    entry.run()
}
