/// The public state of a slot at a given instant.
public struct SlotAvailability: Sendable, Hashable {
    public let slot: Slot
    public let state: CellState
    /// Desks a citizen could still take (0 unless the state is `.free`).
    public let freeDesks: Int
}
