/// The bytes one render produces, written through a pointer into memory of its own.
///
/// A week page is some two thousand small appends (the text between tags, each value); through an `Array`
/// each one checked the array's uniqueness and capacity in a call of its own. Here an append is a capacity test
/// and a copy, and the page reaches the caller's array in one copy at the end (`TemplateLibrary.render`).
/// The owner frees the memory with `deallocate()` once, when the render is over (it holds no references).
struct RenderOutput {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// How many bytes have been written.
    private(set) var count = 0

    /// Room for `capacity` bytes before the first growth.
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// The bytes written so far, valid until the next append or `deallocate()`.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Appends `bytes`.
    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let length = bytes.count
        if length > capacity - count { grow(toHold: count + length) }
        (base + count).initialize(from: source, count: length)
        count += length
    }

    /// Appends the bytes of a literal.
    @inline(__always)
    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    @inline(never)
    private mutating func grow(toHold needed: Int) {
        var larger = capacity * 2
        while larger < needed { larger *= 2 }
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// Frees the memory; the output is not used afterwards.
    func deallocate() { base.deallocate() }
}
