/// What a committed write changed that the rest of the process must react to: the slots whose public state
/// moved (their pages are re-rendered), operator blocks placed or removed (every week they cover) and how many
/// messages it queued in the outbox (the delivery worker is woken). Every write of the Store returns one (see
/// `Committed`); one place in the application applies it after the commit (docs/ARCHITECTURE.md §4).
public struct StoreChange: Sendable, Equatable {
    /// Slots a hold, a booking or a cancellation took or gave back.
    public var slots: Set<SlotRef>
    /// Blocks placed or removed: a block may span weeks, each of which shows it.
    public var blocks: [Block]
    /// Outbox rows written by the change.
    public var messagesQueued: Int

    /// A change touching `slots` and `blocks` that queued `messagesQueued` messages.
    public init(slots: Set<SlotRef> = [], blocks: [Block] = [], messagesQueued: Int = 0) {
        self.slots = slots
        self.blocks = blocks
        self.messagesQueued = messagesQueued
    }

    /// Nothing anyone outside the Store needs to know about.
    public static let none = StoreChange()

    /// Whether the after-commit place has nothing to do.
    public var isEmpty: Bool { slots.isEmpty && blocks.isEmpty && messagesQueued == 0 }

    /// Both changes at once.
    public func merging(_ other: StoreChange) -> StoreChange {
        StoreChange(
            slots: slots.union(other.slots), blocks: blocks + other.blocks,
            messagesQueued: messagesQueued + other.messagesQueued)
    }
}
