import Foundation

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

    /// The template's name in its library ("week", "partials/steps"), used in error messages.
    public let name: String
    let nodes: [Node]

    /// Parses `source`; a malformed template is a `TemplateError` naming the line and column.
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

        /// How far `tagLocation` has counted lines: tags come in order, so each byte is counted once (counting
        /// from the start for every tag made compiling the templates quadratic in their length).
        var counted = (offset: 0, line: 1, lineStart: 0)

        func location(_ offset: Int) -> (line: Int, column: Int) {
            var line = 1
            var lineStart = 0
            for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            return (line, offset - lineStart + 1)
        }

        /// `location(offset)` for offsets that only grow, counting on from the previous one.
        mutating func tagLocation(_ offset: Int) -> (line: Int, column: Int) {
            guard offset >= counted.offset else { return location(offset) }
            var (line, lineStart) = (counted.line, counted.lineStart)
            for index in counted.offset..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            counted = (offset, line, lineStart)
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
                if bytes[index] == pattern[0] && bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
                    return index
                }
                index += 1
            }
            return nil
        }

        /// The tag's name between `start` and `end` without the spaces and tabs around it; Foundation's trimming
        /// (the same set, Unicode's other spaces included) only for a name that starts or ends outside ASCII.
        func tagContent(from start: Int, to end: Int) -> String {
            var (first, last) = (start, end)
            while first < last, Self.isBlank(bytes[first]) { first += 1 }
            while last > first, Self.isBlank(bytes[last - 1]) { last -= 1 }
            let content = String(decoding: bytes[first..<last], as: UTF8.self)
            guard first < last, bytes[first] >= 0x80 || bytes[last - 1] >= 0x80 else { return content }
            return content.trimmingCharacters(in: .whitespaces)
        }

        static func path(_ name: String) -> [String] {
            name == "."
                ? []
                : name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map {
                    String(decoding: $0, as: UTF8.self)
                }
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
                let content = tagContent(from: contentStart, to: close)
                let place = tagLocation(open)

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
