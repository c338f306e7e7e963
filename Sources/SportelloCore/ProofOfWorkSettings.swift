import Foundation

/// The challenge for clients past their budget, in the spirit of ALTCHA and served by Sportello itself: find a
/// number whose SHA-256 with the challenge starts with `bits` zero bits (the browser does it in about
/// 2^bits hashes), or wait `waitSeconds`. One challenge per address at a time, each good for one action.
public struct ProofOfWorkSettings: Sendable, Equatable {
    /// Leading zero bits the answer's hash must have: each one more doubles the work.
    public var bits = 16
    /// How long a client without JavaScript waits instead of doing the work.
    public var waitSeconds = 30

    /// The defaults: about 65,000 hashes or 30 seconds of waiting.
    public init() {}
}
