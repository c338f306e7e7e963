/// The data a template renders: strings (escaped by default), flags, lists, objects, and markup an
/// earlier render produced (the page body inside the layout), which is the one value written raw.
public enum TemplateValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case list([TemplateValue])
    case object(TemplateFields)
    /// Bytes rendered by this library's own templates, already escaped; inserted as they are.
    case markup([UInt8])

    /// A number rendered in its decimal form, as templates show counts.
    public init(_ int: Int) { self = .string(String(int)) }

    /// The field `key` of an object; nil for a missing field or any other kind of value.
    public subscript(_ key: String) -> TemplateValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// Where the field `name` of an object is stored, for reading it in place; nil for a missing field or any
    /// other kind of value. The address stays valid while this object's storage lives unchanged.
    @inline(__always)
    func fieldAddress(_ name: String) -> UnsafePointer<TemplateValue>? {
        var noHint: Int32 = -1
        return fieldAddress(name, hint: &noHint)
    }

    /// `fieldAddress(name)`, trying first the position `hint` holds (-1: none) and leaving there where the name
    /// was found. Names are distinct within an object, so a name found at the hint is the one a search finds.
    /// An object with a hashed index (the texts of a language) is searched through it only when the hint misses.
    @inline(__always)
    func fieldAddress(_ name: String, hint: inout Int32) -> UnsafePointer<TemplateValue>? {
        let storage: (names: UnsafeBufferPointer<String>, values: UnsafePointer<TemplateValue>, indexed: Bool)
        switch self {
        case .object(let fields):
            guard let fieldsStorage = fields.storage else { return nil }
            storage = fieldsStorage
            let guess = Int(hint)
            if guess >= 0, guess < storage.names.count, storage.names[guess] == name { return storage.values + guess }
            if storage.indexed {
                guard let found = fields.address(of: name) else { return nil }
                hint = Int32(truncatingIfNeeded: found - storage.values)
                return found
            }
        default:
            return nil
        }
        let length = name.utf8.count
        for position in 0..<storage.names.count {
            let candidate = storage.names[position]
            if candidate.utf8.count == length && candidate == name {
                hint = Int32(truncatingIfNeeded: position)
                return storage.values + position
            }
        }
        return nil
    }

    /// Writes this value as `{{name}}` (`escaped`) or `{{{name}}}` shows it: a string or markup, "true" or
    /// "false" for a flag, nothing for a list or an object. Read in place, called on a value in the context
    /// stack: its text is not copied out (no reference counted per variable).
    @inline(__always)
    func write(escaped: Bool, to output: inout RenderOutput) {
        switch self {
        case .string(let string):
            if escaped {
                HTMLEscaper.append(string, to: &output)
            } else {
                HTMLEscaper.appendRaw(string, to: &output)
            }
        case .bool(let flag):
            output.append(flag ? "true" : "false")
        case .markup(let bytes):
            bytes.withUnsafeBufferPointer {
                if escaped { HTMLEscaper.append($0, to: &output) } else { output.append($0) }
            }
        case .list, .object:
            break
        }
    }

    /// The items of a list, as addresses read in place (nil for any other kind of value); valid while this
    /// value's storage lives unchanged, as `fieldAddress`.
    @inline(__always)
    var listItems: UnsafeBufferPointer<TemplateValue>? {
        guard case .list(let items) = self else { return nil }
        return items.withUnsafeBufferPointer { $0 }
    }

    /// Mustache truthiness: false, an empty list and an empty string are falsy.
    var isTruthy: Bool {
        switch self {
        case .bool(let flag): return flag
        case .string(let text): return !text.isEmpty
        case .list(let items): return !items.isEmpty
        case .object: return true
        case .markup(let bytes): return !bytes.isEmpty
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByIntegerLiteral
{
    /// A text written as a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A flag written as a literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list written as a literal.
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    /// An object written as a literal, fields in the order written.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(TemplateFields(elements)) }
    /// A number written as a literal, rendered in decimal.
    public init(integerLiteral value: Int) { self = .string(String(value)) }
}
