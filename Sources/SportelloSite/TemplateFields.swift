/// The named fields of a template object, in insertion order; setting a name again replaces its value.
///
/// Most objects are small and short-lived (a week page builds one per free slot, ten fields each), so the
/// fields live in two parallel arrays searched linearly: building costs no hashing and a lookup compares a
/// few short strings. Only objects with many fields (the translation tree) also keep a hashed index. Many
/// objects of one page (a week's cells) can also be rows of one array of values, each reading its own run of
/// it (`init(names:values:start:)`): no array of their own to allocate and free per object.
public struct TemplateFields: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    private var names: [String] = []
    private var values: [TemplateValue] = []
    private var index: [String: Int]?
    /// Where this object's values start in `values` (0 unless it is a row of a shared array).
    private var start: Int32 = 0

    static let indexThreshold = 12

    /// No fields.
    public init() {}

    /// The pairs in order; a repeated name keeps its first place and its last value.
    public init(_ pairs: some Sequence<(String, TemplateValue)>) {
        for (name, value) in pairs { self[name] = value }
    }

    /// Fields written as a literal, in the order written.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self.init(elements) }

    /// Fields from parallel arrays of distinct names and their values: many objects of one shape can share
    /// one array of names.
    public init(names: [String], values: [TemplateValue]) {
        assert(names.count == values.count && Set(names).count == names.count, "one value per distinct name")
        self.names = names
        self.values = values
        if names.count > Self.indexThreshold { rebuildIndex() }
    }

    /// Fields named `names` whose values are `values[start..<start + names.count]`: the rows of many objects of
    /// one page share one array of values. A row outside `values`, or a `start` beyond 32 bits, gets no fields.
    public init(names: [String], values: [TemplateValue], start: Int) {
        guard start >= 0, start <= Int(Int32.max), names.count <= values.count - start else { return }
        assert(Set(names).count == names.count, "one value per distinct name")
        self.names = names
        if names.count > Self.indexThreshold {
            self.values = Array(values[start..<(start + names.count)])
            rebuildIndex()
        } else {
            self.values = values
            self.start = Int32(start)
        }
    }

    /// How many fields there are.
    public var count: Int { names.count }
    /// Whether there are no fields (a section over an empty object renders nothing).
    public var isEmpty: Bool { names.isEmpty }

    private func position(of name: String) -> Int? {
        if let index { return index[name] }
        let length = name.utf8.count
        for position in names.indices where names[position].utf8.count == length && names[position] == name {
            return position
        }
        return nil
    }

    /// Where the value named `name` is stored, so a render reads it without copying it out (a copy of an object
    /// or list costs reference counting); valid while these fields' storage lives and is not mutated.
    func address(of name: String) -> UnsafePointer<TemplateValue>? {
        guard let position = position(of: name) else { return nil }
        return values.withUnsafeBufferPointer { $0.baseAddress.map { $0 + Int(start) + position } }
    }

    /// The names and values of the fields as addresses, and whether they also have a hashed index (nil when
    /// there are no fields). Taking them involves no call the compiler cannot see through, so the copy of the
    /// fields a `switch` makes to get here is released at once and optimised away: a render's name search then
    /// counts no references.
    @inline(__always)
    var storage: (names: UnsafeBufferPointer<String>, values: UnsafePointer<TemplateValue>, indexed: Bool)? {
        guard let values = values.withUnsafeBufferPointer({ $0.baseAddress }) else { return nil }
        return (names.withUnsafeBufferPointer { $0 }, values + Int(start), index != nil)
    }

    /// The value named `name`; setting nil removes the field, setting a new name appends it.
    public subscript(_ name: String) -> TemplateValue? {
        get { position(of: name).map { values[Int(start) + $0] } }
        set {
            if start != 0 || values.count != names.count {
                // A row of a shared array is copied out before it changes: the other rows keep their values.
                values = Array(values[Int(start)..<(Int(start) + names.count)])
                start = 0
            }
            if let position = position(of: name) {
                if let newValue {
                    values[position] = newValue
                } else {
                    names.remove(at: position)
                    values.remove(at: position)
                    if index != nil { rebuildIndex() }
                }
            } else if let newValue {
                names.append(name)
                values.append(newValue)
                if index != nil {
                    index?[name] = names.count - 1
                } else if names.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        var positions: [String: Int] = [:]
        positions.reserveCapacity(names.count)
        for (position, name) in names.enumerated() { positions[name] = position }
        index = positions
    }

    /// The fields in the order they were added.
    public func makeIterator() -> some IteratorProtocol<(key: String, value: TemplateValue)> {
        let (names, values, start) = (names, values, Int(start))
        return names.indices.lazy.map { (key: names[$0], value: values[start + $0]) }.makeIterator()
    }

    /// Equal when they hold the same names with equal values, whatever the order.
    public static func == (lhs: TemplateFields, rhs: TemplateFields) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs.names, lhs.values[Int(lhs.start)...]).allSatisfy { name, value in rhs[name] == value }
    }
}
