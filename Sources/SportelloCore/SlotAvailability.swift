/// The public state of a slot at a given instant.
public struct SlotAvailability: Sendable, Hashable {
    /// The slot this state is about.
    public let slot: Slot
    /// What the week page shows for it.
    public let state: CellState
    /// Desks a citizen could still take (0 unless the state is `.free`).
    public let freeDesks: Int
}
