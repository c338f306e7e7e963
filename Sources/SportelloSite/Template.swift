import Foundation

/// A template problem with its place: `week.html:12:5: section "slots" is never closed`.
public struct TemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    public let template: String
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(template):\(line):\(column): \(message)" }
}

/// A parsed template in a subset of Mustache: `{{name}}` (HTML-escaped), `{{{name}}}` and `{{& name}}`
/// (raw, the explicit exception), `{{#name}}…{{/name}}`, `{{^name}}…{{/name}}`, `{{> partial}}`,
/// `{{! comment}}`, dotted names and `{{.}}`. Parsed once; rendering appends bytes to a buffer.
public struct Template: Sendable {
    indirect enum Node: Sendable {
        case text([UInt8])
        case variable(path: [String], escaped: Bool, line: Int, column: Int)
        case section(path: [String], name: String, inverted: Bool, children: [Node])
        case partial(String, line: Int, column: Int)
    }

    public let name: String
    let nodes: [Node]

    public init(name: String, source: String) throws(TemplateError) {
        self.name = name
        var parser = Parser(name: name, bytes: Array(source.utf8))
        nodes = try parser.parseAll()
    }

    // MARK: Parsing

    private struct Parser {
        let name: String
        let bytes: [UInt8]
        var position = 0

        struct Open {
            let name: String
            let path: [String]
            let inverted: Bool
            let line: Int
            let column: Int
            var children: [Node]
        }

        func location(_ offset: Int) -> (line: Int, column: Int) {
            var line = 1
            var lineStart = 0
            for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            return (line, offset - lineStart + 1)
        }

        func error(_ message: String, at offset: Int) -> TemplateError {
            let place = location(offset)
            return TemplateError(template: name, line: place.line, column: place.column, message: message)
        }

        func find(_ pattern: [UInt8], from start: Int) -> Int? {
            guard pattern.count <= bytes.count else { return nil }
            var index = start
            while index + pattern.count <= bytes.count {
                if bytes[index] == pattern[0] && Array(bytes[index..<(index + pattern.count)]) == pattern {
                    return index
                }
                index += 1
            }
            return nil
        }

        static func path(_ name: String) -> [String] {
            name == "." ? [] : name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }

        static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

        mutating func parseAll() throws(TemplateError) -> [Node] {
            var stack: [Open] = [Open(name: "", path: [], inverted: false, line: 0, column: 0, children: [])]
            var text: [UInt8] = []
            func flushText(_ stack: inout [Open], _ text: inout [UInt8]) {
                if !text.isEmpty {
                    stack[stack.count - 1].children.append(.text(text))
                    text.removeAll()
                }
            }
            while position < bytes.count {
                guard let open = find(Array("{{".utf8), from: position) else {
                    text.append(contentsOf: bytes[position...])
                    position = bytes.count
                    break
                }
                text.append(contentsOf: bytes[position..<open])
                var contentStart = open + 2
                var closing = Array("}}".utf8)
                var sigil: UInt8 = 0
                if contentStart < bytes.count, bytes[contentStart] == UInt8(ascii: "{") {
                    sigil = UInt8(ascii: "{")
                    closing = Array("}}}".utf8)
                    contentStart += 1
                } else if contentStart < bytes.count,
                    [
                        UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: ">"),
                        UInt8(ascii: "!"), UInt8(ascii: "&"),
                    ].contains(bytes[contentStart])
                {
                    sigil = bytes[contentStart]
                    contentStart += 1
                }
                guard let close = find(closing, from: contentStart) else {
                    throw error("tag is never closed", at: open)
                }
                let tagEnd = close + closing.count
                let content = String(decoding: bytes[contentStart..<close], as: UTF8.self).trimmingCharacters(
                    in: .whitespaces)
                let place = location(open)

                // A section, partial or comment tag alone on its line takes the line with it.
                let standaloneKinds: [UInt8] = [
                    UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: ">"), UInt8(ascii: "!"),
                ]
                var next = tagEnd
                if standaloneKinds.contains(sigil) {
                    var lineStart = open
                    while lineStart > 0, Self.isBlank(bytes[lineStart - 1]) { lineStart -= 1 }
                    let startsLine = lineStart == 0 || bytes[lineStart - 1] == UInt8(ascii: "\n")
                    var after = tagEnd
                    while after < bytes.count, Self.isBlank(bytes[after]) { after += 1 }
                    var endsLine = after == bytes.count
                    if after < bytes.count, bytes[after] == UInt8(ascii: "\n") {
                        after += 1
                        endsLine = true
                    } else if after + 1 < bytes.count, bytes[after] == UInt8(ascii: "\r"),
                        bytes[after + 1] == UInt8(ascii: "\n")
                    {
                        after += 2
                        endsLine = true
                    }
                    if startsLine && endsLine {
                        text.removeLast(open - lineStart)
                        next = after
                    }
                }

                if sigil != UInt8(ascii: "!") && content.isEmpty { throw error("a tag needs a name", at: open) }
                switch sigil {
                case UInt8(ascii: "!"):
                    break
                case UInt8(ascii: "#"), UInt8(ascii: "^"):
                    flushText(&stack, &text)
                    stack.append(
                        Open(
                            name: content, path: Self.path(content), inverted: sigil == UInt8(ascii: "^"),
                            line: place.line, column: place.column, children: []))
                case UInt8(ascii: "/"):
                    flushText(&stack, &text)
                    guard stack.count > 1 else {
                        throw error("\"\(content)\" closes a section that was never opened", at: open)
                    }
                    let section = stack.removeLast()
                    guard section.name == content else {
                        throw error(
                            "\"\(content)\" closes section \"\(section.name)\" opened at line \(section.line)", at: open
                        )
                    }
                    stack[stack.count - 1].children.append(
                        .section(
                            path: section.path, name: section.name, inverted: section.inverted,
                            children: section.children))
                case UInt8(ascii: ">"):
                    flushText(&stack, &text)
                    stack[stack.count - 1].children.append(.partial(content, line: place.line, column: place.column))
                default:
                    flushText(&stack, &text)
                    let escaped = sigil != UInt8(ascii: "{") && sigil != UInt8(ascii: "&")
                    stack[stack.count - 1].children.append(
                        .variable(
                            path: Self.path(content), escaped: escaped,
                            line: place.line, column: place.column))
                }
                position = next
            }
            flushText(&stack, &text)
            if stack.count > 1, let open = stack.last {
                throw TemplateError(
                    template: name, line: open.line, column: open.column,
                    message: "section \"\(open.name)\" is never closed")
            }
            return stack[0].children
        }
    }
}

/// All templates of a site, so partials can find each other. Loaded from `site-templates/`: a file's name
/// is its path without `.html` ("week", "partials/steps"); other kinds keep their extension
/// ("mail/confirmed.txt"). The `assets` and `i18n` folders are not templates.
public struct TemplateLibrary: Sendable {
    let templates: [String: Template]
    /// Every template compiled, partials resolved to their place in this array.
    let programs: [Program]
    let programIndex: [String: Int]
    public let strict: Bool

    public init(templates sources: [String: String], strict: Bool = false) throws(TemplateError) {
        var templates: [String: Template] = [:]
        for (name, source) in sources { templates[name] = try Template(name: name, source: source) }
        self.templates = templates
        self.strict = strict
        let sorted = templates.sorted { $0.key < $1.key }
        var index: [String: Int] = [:]
        for (position, entry) in sorted.enumerated() { index[entry.key] = position }
        programIndex = index
        programs = sorted.map { Program($0.value, partials: index) }
    }

    public init(directory: String, strict: Bool = false) throws {
        var sources: [String: String] = [:]
        let root = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw TemplateError(template: directory, line: 0, column: 0, message: "the templates folder cannot be read")
        }
        let rootPath = root.standardizedFileURL.path
        for case let url as URL in enumerator {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(rootPath + "/") else { continue }
            let relative = String(path.dropFirst(rootPath.count + 1))
            if relative.hasPrefix("assets") || relative.hasPrefix("i18n") || relative.hasPrefix(".") { continue }
            let known = ["html", "txt", "ics", "eml"]
            guard known.contains(url.pathExtension) else { continue }
            let name = url.pathExtension == "html" ? String(relative.dropLast(5)) : relative
            sources[name] = try String(contentsOf: url, encoding: .utf8)
        }
        try self.init(templates: sources, strict: strict)
    }

    public func has(_ name: String) -> Bool { templates[name] != nil }

    public func render(_ name: String, _ context: TemplateValue) throws -> String {
        var buffer: [UInt8] = []
        try render(name, context, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    public func render(_ name: String, _ context: TemplateValue, into buffer: inout [UInt8]) throws {
        guard let program = programIndex[name] else {
            throw TemplateError(template: name, line: 0, column: 0, message: "no template named \"\(name)\"")
        }
        var stack = [context]
        try run(program, stack: &stack, into: &buffer, depth: 0)
    }

    private func run(_ index: Int, stack: inout [TemplateValue], into buffer: inout [UInt8], depth: Int) throws {
        let program = programs[index]
        try program.ops.withUnsafeBufferPointer { ops in
            try program.text.withUnsafeBufferPointer { text in
                try program.keys.withUnsafeBufferPointer { keys in
                    try execute(
                        program, ops: ops, text: text, keys: keys, from: 0, to: ops.count, stack: &stack, into: &buffer,
                        depth: depth)
                }
            }
        }
    }

    /// The value a path names: its first key is looked up from the innermost context outwards, the rest inside it.
    static func lookup(
        _ keys: UnsafeBufferPointer<String>, start: Int, count: Int, in stack: [TemplateValue]
    ) -> TemplateValue? {
        guard count > 0 else { return stack.last }
        return stack.withUnsafeBufferPointer { frames -> TemplateValue? in
            var index = frames.count - 1
            while index >= 0 {
                if var value = frames[index].field(keys[start]) {
                    var keyIndex = start + 1
                    while keyIndex < start + count {
                        guard let next = value.field(keys[keyIndex]) else { return nil }
                        value = next
                        keyIndex += 1
                    }
                    return value
                }
                index -= 1
            }
            return nil
        }
    }

    /// Runs ops[from..<to]. The ops, text and keys are plain values read through pointers: walking the
    /// program costs no reference counting, only the context values do.
    private func execute(
        _ program: Program, ops: UnsafeBufferPointer<Program.Op>, text: UnsafeBufferPointer<UInt8>,
        keys: UnsafeBufferPointer<String>, from: Int, to: Int, stack: inout [TemplateValue],
        into buffer: inout [UInt8], depth: Int
    ) throws {
        var position = from
        while position < to {
            let op = ops[position]
            switch op.kind {
            case .text:
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[Int(op.a)..<Int(op.a + op.b)]))
                position += 1
            case .variable:
                position += 1
                guard let value = Self.lookup(keys, start: Int(op.keyStart), count: Int(op.keyCount), in: stack) else {
                    if strict {
                        let site = program.sites[Int(op.a)]
                        throw TemplateError(
                            template: program.name, line: site.line, column: site.column,
                            message: "no value for \"\(site.name)\"")
                    }
                    continue
                }
                let escaped = op.flag
                switch value {
                case .string(let string):
                    if escaped {
                        HTMLEscaper.append(string, to: &buffer)
                    } else {
                        buffer.append(contentsOf: string.utf8)
                    }
                case .bool(let flag):
                    buffer.append(contentsOf: (flag ? "true" : "false").utf8)
                case .markup(let bytes):
                    if escaped {
                        bytes.withUnsafeBufferPointer { HTMLEscaper.append($0, to: &buffer) }
                    } else {
                        buffer.append(contentsOf: bytes)
                    }
                case .list, .object:
                    break
                }
            case .section:
                let end = Int(op.a)
                let value = Self.lookup(keys, start: Int(op.keyStart), count: Int(op.keyCount), in: stack)
                if op.flag {
                    if !(value?.isTruthy ?? false) {
                        try execute(
                            program, ops: ops, text: text, keys: keys, from: position + 1, to: end, stack: &stack,
                            into: &buffer, depth: depth)
                    }
                } else if let value, value.isTruthy {
                    switch value {
                    case .list(let items):
                        for item in items {
                            stack.append(item)
                            try execute(
                                program, ops: ops, text: text, keys: keys, from: position + 1, to: end, stack: &stack,
                                into: &buffer, depth: depth)
                            stack.removeLast()
                        }
                    case .bool:
                        try execute(
                            program, ops: ops, text: text, keys: keys, from: position + 1, to: end, stack: &stack,
                            into: &buffer, depth: depth)
                    case .object, .string, .markup:
                        stack.append(value)
                        try execute(
                            program, ops: ops, text: text, keys: keys, from: position + 1, to: end, stack: &stack,
                            into: &buffer, depth: depth)
                        stack.removeLast()
                    }
                }
                position = end
            case .partial:
                let site = program.sites[Int(op.b)]
                guard depth < 20 else {
                    throw TemplateError(
                        template: program.name, line: site.line, column: site.column,
                        message: "partials nest more than 20 deep (\"\(site.name)\" includes itself?)")
                }
                guard op.a >= 0 else {
                    throw TemplateError(
                        template: program.name, line: site.line, column: site.column,
                        message: "no partial named \"\(site.name)\"")
                }
                try run(Int(op.a), stack: &stack, into: &buffer, depth: depth + 1)
                position += 1
            }
        }
    }
}

/// A template compiled once, when the library loads: a flat list of ops over three tables (the text of
/// the template in one array, every name's keys split at the dots in another, the places of tags for error
/// messages). A section is an op that knows where its body ends; a partial is the index of its program.
final class Program: Sendable {
    enum Kind: UInt8, Sendable { case text, variable, section, partial }

    /// text: bytes a..<a+b of `text`. variable: keys, `flag` = escaped, `a` = its site. section: keys,
    /// `flag` = inverted, body up to op `a`. partial: program `a` (-1: none by that name), site `b`.
    struct Op: Sendable {
        var kind: Kind
        var flag = false
        var keyCount: UInt16 = 0
        var keyStart: Int32 = 0
        var a: Int32 = 0
        var b: Int32 = 0
    }

    struct Site: Sendable {
        let line: Int
        let column: Int
        let name: String
    }

    let name: String
    let ops: [Op]
    let text: [UInt8]
    let keys: [String]
    let sites: [Site]

    init(_ template: Template, partials: [String: Int]) {
        var ops: [Op] = []
        var text: [UInt8] = []
        var keys: [String] = []
        var sites: [Site] = []
        func keyRange(_ path: [String]) -> (UInt16, Int32) {
            let start = Int32(keys.count)
            keys.append(contentsOf: path)
            return (UInt16(clamping: path.count), start)
        }
        func compile(_ nodes: [Template.Node]) {
            for node in nodes {
                switch node {
                case .text(let bytes):
                    ops.append(Op(kind: .text, a: Int32(text.count), b: Int32(bytes.count)))
                    text.append(contentsOf: bytes)
                case .variable(let path, let escaped, let line, let column):
                    let (count, start) = keyRange(path)
                    ops.append(
                        Op(kind: .variable, flag: escaped, keyCount: count, keyStart: start, a: Int32(sites.count)))
                    sites.append(Site(line: line, column: column, name: path.joined(separator: ".")))
                case .section(let path, _, let inverted, let children):
                    let (count, start) = keyRange(path)
                    let position = ops.count
                    ops.append(Op(kind: .section, flag: inverted, keyCount: count, keyStart: start))
                    compile(children)
                    ops[position].a = Int32(ops.count)
                case .partial(let name, let line, let column):
                    ops.append(Op(kind: .partial, a: partials[name].map { Int32($0) } ?? -1, b: Int32(sites.count)))
                    sites.append(Site(line: line, column: column, name: name))
                }
            }
        }
        compile(template.nodes)
        name = template.name
        self.ops = ops
        self.text = text
        self.keys = keys
        self.sites = sites
    }
}
