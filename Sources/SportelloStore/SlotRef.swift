import Foundation
import SportelloCore

/// A slot of a service, as the store keys it: the service id and the start in unix seconds (UTC).
public struct SlotRef: Hashable, Sendable {
    /// The catalogue id of the service.
    public let serviceID: String
    /// The slot's start, unix seconds (UTC).
    public let start: Int64

    /// The slot of `serviceID` starting at `start` (unix seconds).
    public init(serviceID: String, start: Int64) {
        self.serviceID = serviceID
        self.start = start
    }
}
