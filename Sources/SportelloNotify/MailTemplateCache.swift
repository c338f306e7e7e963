import SportelloCore
import SportelloSite

/// Mail templates rendered once for what their messages share, then filled in with each message's own values
/// (issue 16: the template engine ran over the whole text, HTML and receipt of every mail). A template is
/// rendered with a marker in place of each own value; the output, cut at the markers, is kept under a key made
/// of everything else the template was given. A message whose other values are the same (same kind, service,
/// language, flags, and the same own values empty) gets the kept pieces with its own values in the gaps, escaped
/// where the template escaped the marker: byte for byte what rendering it would give. A template whose output
/// cannot be cut (a marker changed or lost on the way) is rendered whole for every message.
final class MailTemplateCache: Sendable {
    /// A rendered template cut at its own values: `pieces` around `gaps`, one more piece than gaps.
    struct Cutout: Sendable {
        let pieces: [[UInt8]]
        /// Which own value fills each gap (its index), and whether the template escaped it.
        let gaps: [(value: Int, escaped: Bool)]
    }

    /// A message's values as the cache reads them: the own values in the order found, and the key of the rest.
    struct Prepared {
        let own: [String]
        /// Bytes, not a String: a String key with accented text is normalised (NFC) on every hash.
        let key: [UInt8]
        /// The key's FNV-1a hash, computed once: hashing the bytes themselves feeds the hasher one at a time, for
        /// each of a message's templates.
        let digest: UInt64
        /// False when an own value holds a marker byte: the message is rendered whole.
        let usable: Bool
    }

    /// A template's name and a message's key, hashed by the key's digest.
    struct Key: Hashable {
        let name: String
        let key: [UInt8]
        let digest: UInt64

        func hash(into hasher: inout Hasher) {
            hasher.combine(digest)
            hasher.combine(name)
        }
    }

    /// The dotted paths of a message's own values (its code, its person, its time…): strings only.
    let ownPaths: Set<String>
    /// Top-level values fully determined by the `shared` text given to `prepare` (e.g. the translations by the
    /// language): left out of the key, which holds that text instead.
    let sharedNames: Set<String>
    // nil: the template cannot be cut, render it whole.
    private let cutouts = Locked<[Key: Cutout?]>([:])
    // A few kinds and languages per service: about 2 KB each, the whole cache a few MB at most.
    private static let limit = 1_024
    private static let start: UInt8 = 0x01
    private static let end: UInt8 = 0x02

    /// A cache whose messages' own values are at `ownPaths`, and whose values named `sharedNames` follow from
    /// the text given to `prepare` as `shared`.
    init(ownPaths: Set<String>, sharedNames: Set<String>) {
        self.ownPaths = ownPaths
        self.sharedNames = sharedNames
    }

    /// Reads a message's `values` once for all its templates. `shared` must determine every value named in
    /// `sharedNames`.
    func prepare(_ values: TemplateFields, shared: String) -> Prepared {
        var own: [String] = []
        var key: [UInt8] = Array(shared.utf8)
        key.append(0)
        var usable = true
        func write(_ text: String) {
            key += String(text.utf8.count).utf8
            key.append(UInt8(ascii: ":"))
            key += text.utf8
        }
        func walk(_ value: TemplateValue, path: String) {
            switch value {
            case .string(let text):
                if !text.isEmpty && ownPaths.contains(path) {
                    if text.utf8.contains(where: { $0 == Self.start || $0 == Self.end }) { usable = false }
                    own.append(text)
                    key.append(Self.start)
                } else {
                    key.append(UInt8(ascii: "s"))
                    write(text)
                }
            case .bool(let flag):
                key.append(flag ? UInt8(ascii: "T") : UInt8(ascii: "F"))
            case .markup(let bytes):
                key.append(UInt8(ascii: "m"))
                write(String(decoding: bytes, as: UTF8.self))
            case .list(let items):
                key.append(UInt8(ascii: "["))
                for item in items { walk(item, path: path) }
                key.append(UInt8(ascii: "]"))
            case .object(let fields):
                key.append(UInt8(ascii: "{"))
                for (name, field) in fields {
                    write(name)
                    if path.isEmpty && sharedNames.contains(name) {
                        key.append(UInt8(ascii: "="))
                    } else {
                        walk(field, path: path.isEmpty ? name : path + "." + name)
                    }
                }
                key.append(UInt8(ascii: "}"))
            }
        }
        walk(.object(values), path: "")
        return Prepared(own: own, key: key, digest: FNV1a.hash(key), usable: usable)
    }

    /// Template `name` rendered with `values` (read by `prepare` into `prepared`); `render` renders a template
    /// whole (with the message's values, or once with markers for the cache).
    func render(
        _ name: String, _ values: TemplateFields, _ prepared: Prepared,
        with render: (String, TemplateFields) throws -> String
    ) throws -> String {
        guard prepared.usable else { return try render(name, values) }
        let key = Key(name: name, key: prepared.key, digest: prepared.digest)
        let known = cutouts.withLock { $0[key] }
        let cutout: Cutout?
        if let known {
            cutout = known
        } else {
            var index = 0
            let marked = try render(name, markers(values, path: "", next: &index))
            cutout = Self.cut(Array(marked.utf8), values: index)
            cutouts.withLock { entries in
                if entries.count >= Self.limit { entries.removeAll() }
                entries[key] = .some(cutout)
            }
        }
        guard let cutout else { return try render(name, values) }
        var out: [UInt8] = []
        out.reserveCapacity(cutout.pieces.reduce(0) { $0 + $1.count } + prepared.own.count * 32)
        out += cutout.pieces[0]
        for (gap, piece) in zip(cutout.gaps, cutout.pieces.dropFirst()) {
            let text = prepared.own[gap.value]
            if gap.escaped { HTMLEscaper.append(text, to: &out) } else { out += text.utf8 }
            out += piece
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `values` with each non-empty own value replaced by its marker, numbered in the order `prepare` finds them.
    private func markers(_ values: TemplateFields, path: String, next: inout Int) -> TemplateFields {
        var marked = TemplateFields()
        for (name, value) in values {
            if path.isEmpty && sharedNames.contains(name) {
                marked[name] = value
            } else {
                marked[name] = markers(value, path: path.isEmpty ? name : path + "." + name, next: &next)
            }
        }
        return marked
    }

    private func markers(_ value: TemplateValue, path: String, next: inout Int) -> TemplateValue {
        switch value {
        case .string(let text) where !text.isEmpty && ownPaths.contains(path):
            // "<" comes out as "&lt;" where the template escapes: the cut tells the two apart.
            defer { next += 1 }
            return .string("\u{1}<\(next)\u{2}")
        case .list(let items):
            return .list(items.map { markers($0, path: path, next: &next) })
        case .object(let fields):
            return .object(markers(fields, path: path, next: &next))
        case .string, .bool, .markup:
            return value
        }
    }

    /// `bytes` cut at its markers; nil when a marker is malformed or names no value (the template changed it).
    static func cut(_ bytes: [UInt8], values: Int) -> Cutout? {
        var pieces: [[UInt8]] = []
        var gaps: [(value: Int, escaped: Bool)] = []
        var piece: [UInt8] = []
        var index = 0
        let escapedOpen = Array("&lt;".utf8)
        while index < bytes.count {
            let byte = bytes[index]
            if byte == end { return nil }
            guard byte == start else {
                piece.append(byte)
                index += 1
                continue
            }
            index += 1
            let escaped: Bool
            if index < bytes.count && bytes[index] == UInt8(ascii: "<") {
                escaped = false
                index += 1
            } else if bytes[index...].starts(with: escapedOpen) {
                escaped = true
                index += escapedOpen.count
            } else {
                return nil
            }
            var number = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]), digits < 6 {
                number = number * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0, number < values, index < bytes.count, bytes[index] == end else { return nil }
            index += 1
            pieces.append(piece)
            piece = []
            gaps.append((number, escaped))
        }
        pieces.append(piece)
        return Cutout(pieces: pieces, gaps: gaps)
    }
}
