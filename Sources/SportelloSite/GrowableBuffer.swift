/// Elements in memory of its own, grown by doubling, for a render's innermost loops (its output bytes, its stack
/// of contexts).
///
/// A week page is some two thousand small appends and a push and pop per item of a list; through an `Array` each
/// one checked the array's uniqueness and capacity in a call of its own, and reading the array took a reference
/// count. Here an append is a capacity test and a copy, and a read goes through a pointer. Only bitwise-copyable
/// elements, so dropping one needs no deinitialization. The owner frees the memory with `deallocate()` once, when
/// the render is over.
struct GrowableBuffer<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    /// How many elements have been appended (and not removed).
    private(set) var count = 0

    /// Room for `capacity` elements before the first growth.
    init(capacity: Int) {
        self.capacity = max(capacity, 8)
        base = .allocate(capacity: self.capacity)
    }

    /// The elements, first appended first, valid until the next append or `deallocate()`.
    var elements: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    /// Appends one element.
    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow(toHold: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Appends a run of elements.
    @inline(__always)
    mutating func append(contentsOf run: UnsafeBufferPointer<Element>) {
        guard let source = run.baseAddress else { return }
        let length = run.count
        if length > capacity - count { grow(toHold: count + length) }
        (base + count).initialize(from: source, count: length)
        count += length
    }

    /// Drops the last element; the buffer must not be empty.
    @inline(__always)
    mutating func removeLast() { count -= 1 }

    @inline(never)
    private mutating func grow(toHold needed: Int) {
        var larger = capacity * 2
        while larger < needed { larger *= 2 }
        let moved = UnsafeMutablePointer<Element>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// Frees the memory; the buffer is not used afterwards.
    func deallocate() { base.deallocate() }
}

/// The bytes one render produces (`TemplateLibrary.render`): the page reaches the caller's array in one copy at
/// the end.
typealias RenderOutput = GrowableBuffer<UInt8>

extension GrowableBuffer where Element == UInt8 {
    /// The bytes written so far, valid until the next append or `deallocate()`.
    var bytes: UnsafeBufferPointer<UInt8> { elements }

    /// Appends `bytes`.
    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }

    /// Appends the bytes of a literal.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }
}
