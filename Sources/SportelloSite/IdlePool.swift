import Synchronization

/// Objects that are costly to make and cheap to keep (an encoder's tables, a zlib stream), kept between two uses:
/// a user takes one (or makes one when none is idle) and puts it back when done; at most `capacity` wait idle, so a
/// burst of users leaves no more behind than a steady load needs.
final class IdlePool<Element: Sendable>: Sendable {
    private let idle = Mutex<[Element]>([])
    /// The most elements kept idle; one put back beyond it is dropped.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The element put back last among those that `fits`, taken out of the pool; nil when none fits.
    func take(where fits: (Element) -> Bool = { _ in true }) -> Element? {
        idle.withLock { elements in
            guard let index = elements.lastIndex(where: fits) else { return nil }
            return elements.remove(at: index)
        }
    }

    /// Puts `element` back for the next user (unless `capacity` are idle already).
    func put(_ element: Element) {
        idle.withLock { elements in
            if elements.count < capacity { elements.append(element) }
        }
    }

    /// How many elements wait idle.
    var count: Int { idle.withLock { $0.count } }
}
