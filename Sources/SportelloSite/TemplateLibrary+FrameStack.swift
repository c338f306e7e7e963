extension TemplateLibrary {
    /// The contexts a render has entered, innermost last: a lookup reads them through a pointer.
    typealias FrameStack = GrowableBuffer<Frame>
}

extension GrowableBuffer where Element == TemplateLibrary.Frame {
    /// The frames, outermost first, valid until the next push or `deallocate()`.
    var frames: UnsafeBufferPointer<TemplateLibrary.Frame> { elements }

    /// Enters `frame`.
    @inline(__always)
    mutating func push(_ frame: TemplateLibrary.Frame) { append(frame) }

    /// Leaves the innermost frame.
    @inline(__always)
    mutating func pop() { removeLast() }
}
