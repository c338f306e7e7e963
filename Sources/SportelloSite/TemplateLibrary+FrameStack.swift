extension TemplateLibrary {
    /// The contexts a render has entered, innermost last, in memory of its own: pushing and popping one per item
    /// of a list is a store and a count, without the uniqueness check and possible copy of an `Array`, and a
    /// lookup reads the frames through a pointer instead of taking the array (a reference count per lookup).
    /// The owner frees the memory with `deallocate()` once, when the render is over.
    struct FrameStack {
        private var base: UnsafeMutablePointer<Frame>
        private var capacity: Int
        /// How many frames are on the stack.
        private(set) var count = 0

        /// A stack with room for `capacity` frames before the first growth.
        init(capacity: Int) {
            self.capacity = max(capacity, 8)
            base = .allocate(capacity: self.capacity)
        }

        /// The frames, outermost first, valid until the next push or `deallocate()`.
        var frames: UnsafeBufferPointer<Frame> { UnsafeBufferPointer(start: base, count: count) }

        /// Enters `frame`.
        @inline(__always)
        mutating func push(_ frame: Frame) {
            if count == capacity { grow() }
            (base + count).initialize(to: frame)
            count += 1
        }

        /// Leaves the innermost frame.
        @inline(__always)
        mutating func pop() { count -= 1 }

        @inline(never)
        private mutating func grow() {
            let moved = UnsafeMutablePointer<Frame>.allocate(capacity: capacity * 2)
            moved.initialize(from: base, count: count)
            base.deallocate()
            base = moved
            capacity *= 2
        }

        /// Frees the memory; the stack is not used afterwards.
        func deallocate() { base.deallocate() }
    }
}
