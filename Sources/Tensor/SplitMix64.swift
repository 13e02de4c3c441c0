// SplitMix64 (Steele, Lea & Flood 2014): the one source of randomness in danmaku. Everything
// random takes `inout some RandomNumberGenerator`, and `--seed` starts one of these.
import Foundation

/// A small, fast, seedable generator whose whole state is one `UInt64`, so it can be saved
/// in a checkpoint and resumed exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The whole state: the next output is a function of it alone.
    public var state: UInt64

    /// A generator started from `seed`; equal seeds give equal sequences on every platform.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (mean 0, variance 1) by the Box–Muller transform.
    ///
    /// Uses two uniform draws; the uniform in (0, 1] keeps the logarithm finite.
    public mutating func nextGaussian() -> Float {
        let u1 = Double(next() >> 11 &+ 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}
