import SportelloCore

/// Where the publisher reads how slots are occupied (the bookings store, or a fixture in tests).
public protocol OccupancySource: Sendable {
    /// Occupancy of slots starting in [from, to), per service id; `serviceID` nil means every service.
    func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]]
}
