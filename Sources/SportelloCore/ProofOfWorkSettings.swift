import Foundation

/// The challenge for clients past their budget, in the spirit of ALTCHA and served by Sportello itself: find a
/// number whose SHA-256 with the challenge starts with `bits` zero bits (the browser does it in about
/// 2^bits hashes), or wait `waitSeconds`. One challenge per address at a time, each good for one action.
public struct ProofOfWorkSettings: Sendable, Equatable {
    public var bits = 16
    public var waitSeconds = 30

    public init() {}
}
