/// What keeps desks busy over some range, by kind: confirmed bookings, live holds, operator blocks
/// (docs/ARCHITECTURE.md §3 "Desks"). The store fills it; the pages turn it into one `SlotOccupancy` per
/// offered start, and the write path asks `DeskAllocation.assign` over `all`.
public struct DeskOccupancy: Sendable, Equatable {
    /// Intervals of bookings in a state that occupies its place, per desk.
    public var booked: [DeskID: [DeskInterval]]
    /// Intervals of live holds, per desk.
    public var held: [DeskID: [DeskInterval]]
    /// Intervals an operator block takes, per desk.
    public var blocked: [DeskID: [DeskInterval]]

    /// Busy intervals as given; the defaults make tests name only what they need.
    public init(
        booked: [DeskID: [DeskInterval]] = [:], held: [DeskID: [DeskInterval]] = [:],
        blocked: [DeskID: [DeskInterval]] = [:]
    ) {
        self.booked = booked
        self.held = held
        self.blocked = blocked
    }

    /// Every busy interval per desk, whatever keeps it busy: what `DeskAllocation.assign` needs.
    public var all: [DeskID: [DeskInterval]] {
        booked.merging(held, uniquingKeysWith: +).merging(blocked, uniquingKeysWith: +)
    }

    /// Lays a block of `count` desks of a service over `interval`: a block names how many of the service's
    /// desks are out, and takes them in the service's order, so every service sharing one of them sees it.
    public mutating func block(_ count: Int, of serviceDesks: [DeskID], over interval: DeskInterval) {
        for desk in serviceDesks.prefix(max(count, 0)) { blocked[desk, default: []].append(interval) }
    }

    /// Lays a block an operator gave as a store row: the desk it names (`deskKey`, the store's "<office>/<name>")
    /// when it names one of the service's desks, else `count` desks in the service's order as above.
    public mutating func block(
        _ count: Int, named deskKey: String?, of serviceDesks: [DeskID], over interval: DeskInterval
    ) {
        if let deskKey, let desk = DeskID(key: deskKey) {
            if serviceDesks.contains(desk) { blocked[desk, default: []].append(interval) }
        } else {
            block(count, of: serviceDesks, over: interval)
        }
    }

    /// How the desks of `desks` stand for an appointment over `interval`, counted the way a slot's desks are:
    /// a desk with a booking overlapping it is booked, else one with a live hold is held, else one with a
    /// block is blocked. The desks left free are exactly those `DeskAllocation.assign` could give.
    public func slotOccupancy(of interval: DeskInterval, desks: [DeskID]) -> SlotOccupancy {
        var occupancy = SlotOccupancy()
        for desk in Set(desks) {
            if Self.overlaps(booked[desk], interval) {
                occupancy.booked += 1
            } else if Self.overlaps(held[desk], interval) {
                occupancy.held += 1
            } else if Self.overlaps(blocked[desk], interval) {
                occupancy.blocked += 1
            }
        }
        return occupancy
    }

    private static func overlaps(_ intervals: [DeskInterval]?, _ interval: DeskInterval) -> Bool {
        intervals?.contains { $0.overlaps(interval) } ?? false
    }
}
