/// How many desks of a slot are taken, as the store counts them.
public struct SlotOccupancy: Hashable, Sendable {
    public var booked: Int
    public var held: Int
    public var blocked: Int

    public init(booked: Int = 0, held: Int = 0, blocked: Int = 0) {
        self.booked = booked
        self.held = held
        self.blocked = blocked
    }

    public static let empty = SlotOccupancy()
}
