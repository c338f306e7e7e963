/// How many desks of a slot are taken, as the store counts them.
public struct SlotOccupancy: Hashable, Sendable {
    /// Desks taken by confirmed bookings.
    public var booked: Int
    /// Desks taken by live holds (citizens filling in the form).
    public var held: Int
    /// Desks taken by a block rather than by a citizen.
    public var blocked: Int

    /// Counts as given; the defaults make tests name only what they need.
    public init(booked: Int = 0, held: Int = 0, blocked: Int = 0) {
        self.booked = booked
        self.held = held
        self.blocked = blocked
    }

    /// Nothing taken: the occupancy of a slot the store has no row for.
    public static let empty = SlotOccupancy()
}
