/// A small deterministic generator (SplitMix64): the same seed gives the same inputs, so a failure found
/// by a fuzz run reproduces from its seed alone.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The whole state: print it with a failure to replay the run from there.
    public var state: UInt64
    /// Starts from `state` (the seed).
    public init(state: UInt64) { self.state = state }

    /// The next 64 random bits; the state advances by a fixed odd constant, so every seed has the full period.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
