import Foundation
import Synchronization

/// All templates of a site, so partials can find each other. Loaded from `site-templates/`: a file's name
/// is its path without `.html` ("week", "partials/steps"); other kinds keep their extension
/// ("mail/confirmed.txt"). The `assets` and `i18n` folders are not templates.
public struct TemplateLibrary: Sendable {
    let templates: [String: Template]
    /// Every template compiled, partials resolved to their place in this array.
    let programs: [Program]
    let programIndex: [String: Int]
    /// Whether a name no context defines is a rendering error (tests and the build check) rather than "".
    public let strict: Bool

    /// Parses and compiles every template of `sources` (name → text), so rendering never parses.
    /// Templates are parsed and compiled on every core: each stands alone until its partials are resolved to
    /// indices, and compiling them is a fixed cost of every `sportello build`. A malformed template's error is the
    /// one of the first such template by name, whatever the order the cores took them in.
    public init(templates sources: [String: String], strict: Bool = false) throws(TemplateError) {
        let sources = sources.sorted { $0.key < $1.key }
        let parsed = Mutex([Result<Template, TemplateError>?](repeating: nil, count: sources.count))
        DispatchQueue.concurrentPerform(iterations: sources.count) { position in
            let (name, source) = sources[position]
            let result = Result { () throws(TemplateError) in try Template(name: name, source: source) }
            parsed.withLock { $0[position] = result }
        }
        var sorted: [(key: String, value: Template)] = []
        sorted.reserveCapacity(sources.count)
        for (position, result) in parsed.withLock({ $0 }).enumerated() {
            guard let result else { continue }
            sorted.append((sources[position].key, try result.get()))
        }
        templates = Dictionary(uniqueKeysWithValues: sorted.map { ($0.key, $0.value) })
        self.strict = strict
        var index: [String: Int] = [:]
        for (position, entry) in sorted.enumerated() { index[entry.key] = position }
        programIndex = index
        let compiled = Mutex([Program?](repeating: nil, count: sorted.count))
        DispatchQueue.concurrentPerform(iterations: sorted.count) { [sorted, index] position in
            let program = Program(sorted[position].value, partials: index)
            compiled.withLock { $0[position] = program }
        }
        programs = compiled.withLock { $0 }.compactMap { $0 }
    }

    /// Loads every template under `directory`, named as the type's description says.
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
            guard let name = Self.templateName(relativePath: String(path.dropFirst(rootPath.count + 1))) else {
                continue
            }
            sources[name] = try String(contentsOf: url, encoding: .utf8)
        }
        try self.init(templates: sources, strict: strict)
    }

    /// The name of the template in the file at `relativePath` under a templates folder (as the type's description
    /// says), or nil when that file is not a template (an asset, a text file, something hidden or unknown).
    public static func templateName(relativePath relative: String) -> String? {
        if relative.hasPrefix("assets") || relative.hasPrefix("i18n") || relative.hasPrefix(".") { return nil }
        // A name that is all extension (".html") has none, as for `URL.pathExtension`.
        let file = relative.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        for known in [".txt", ".ics", ".eml"] where file.count > known.count && file.hasSuffix(known) {
            return relative
        }
        return file.count > 5 && file.hasSuffix(".html") ? String(relative.dropLast(5)) : nil
    }

    /// Whether a template called `name` exists, for optional templates such as an HTML version of a mail.
    public func has(_ name: String) -> Bool { templates[name] != nil }

    /// Renders template `name` with `context` as text.
    public func render(_ name: String, _ context: TemplateValue) throws -> String {
        var buffer: [UInt8] = []
        try render(name, context, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Renders template `name` with `context`, appending the bytes to `buffer` (pages reuse one buffer).
    public func render(_ name: String, _ context: TemplateValue, into buffer: inout [UInt8]) throws {
        try render(name, frames: [context], into: &buffer)
    }

    /// Renders template `name` over a stack of contexts, the last innermost: a name is looked up in the last
    /// frame first, as if the frames were one object whose later fields replace earlier ones. A page passes the
    /// values its language shares as one frame and its own as another instead of merging them per page.
    public func render(_ name: String, frames: [TemplateValue], into buffer: inout [UInt8]) throws {
        guard let program = programIndex[name] else { throw Self.missing(name) }
        try render(frames: frames, into: &buffer) { stack, output in
            try run(program, from: 0, to: nil, stack: &stack, into: &output, depth: 0)
        }
    }

    /// Renders template `body` over `frames` inside template `layout`, whose `{{{content}}}` shows the body's
    /// bytes: the same bytes as rendering the body, then the layout over `frames` and one more frame whose
    /// `content` is the body as `.markup`. A layout that names `content` only there, raw and outside any section,
    /// writes the body in its place as it goes instead of rendering it apart and copying it in.
    func render(_ body: String, inLayout layout: String, frames: [TemplateValue], into buffer: inout [UInt8]) throws {
        guard let bodyProgram = programIndex[body] else { throw Self.missing(body) }
        if let layoutProgram = programIndex[layout], let slot = programs[layoutProgram].contentSlot {
            do {
                try render(frames: frames, into: &buffer) { stack, output in
                    try run(layoutProgram, from: 0, to: slot, stack: &stack, into: &output, depth: 0)
                    try run(bodyProgram, from: 0, to: nil, stack: &stack, into: &output, depth: 0)
                    try run(layoutProgram, from: slot + 1, to: nil, stack: &stack, into: &output, depth: 0)
                }
                return
            } catch {
                // Rendered apart below, so the error is the one the body's render reports first (as without
                // the layout): the layout's part before the body ran first here.
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 * 1024)
        try render(body, frames: frames, into: &bytes)
        try render(layout, frames: frames + [["content": .markup(bytes)]], into: &buffer)
    }

    private static func missing(_ name: String) -> TemplateError {
        TemplateError(template: name, line: 0, column: 0, message: "no template named \"\(name)\"")
    }

    /// Runs `body` over a stack holding `frames`, the bytes written to an output of its own that `buffer` gets
    /// in one copy when it is done (none if the render fails).
    private func render(
        frames: [TemplateValue], into buffer: inout [UInt8],
        _ body: (inout FrameStack, inout RenderOutput) throws -> Void
    ) throws {
        var output = RenderOutput(capacity: 32 * 1024)
        defer { output.deallocate() }
        try frames.withUnsafeBufferPointer { roots in
            var stack = FrameStack(capacity: roots.count + 8)
            defer { stack.deallocate() }
            if let base = roots.baseAddress {
                for position in 0..<roots.count { stack.push(base + position) }
            }
            try body(&stack, &output)
        }
        buffer.append(contentsOf: output.bytes)
    }

    /// A context on the stack, read in place: the values a render walks are never copied out (a copy costs a
    /// reference count per object on a path such as `t.week.next`). Every frame points into `frames` or into
    /// the storage of a list or object they hold, which nothing mutates while the render runs.
    typealias Frame = UnsafePointer<TemplateValue>

    /// Runs ops `from..<to` of program `index` (to its end when `to` is nil).
    private func run(
        _ index: Int, from: Int, to: Int?, stack: inout FrameStack, into output: inout RenderOutput, depth: Int
    ) throws {
        let program = programs[index]
        try program.ops.withUnsafeBufferPointer { ops in
            try program.text.withUnsafeBufferPointer { text in
                try program.keys.withUnsafeBufferPointer { keys in
                    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(keys.count, 1)) { hints in
                        hints.initialize(repeating: -1)
                        // Never nil: the allocation holds at least one hint.
                        guard let hints = hints.baseAddress else { return }
                        try execute(
                            program, ops: ops, text: text, keys: keys, hints: hints, from: from, to: to ?? ops.count,
                            stack: &stack, into: &output, depth: depth)
                    }
                }
            }
        }
    }

    /// The value a path names: its first key is looked up from the innermost context outwards, the rest inside it.
    /// `hints[level]` is where the key at that level of the path was found last time (-1: never): a section over
    /// a list finds each item's fields at the same places, and a path such as `t.week.next` its texts, so one
    /// comparison usually replaces a search (or a hash, in an object with an index).
    @inline(__always)
    static func lookup(
        _ keys: UnsafeBufferPointer<String>, start: Int, count: Int, in frames: UnsafeBufferPointer<Frame>,
        hints: UnsafeMutablePointer<Int32>
    ) -> Frame? {
        guard count > 0 else { return frames.last }
        var index = frames.count - 1
        while index >= 0 {
            if var value = frames[index].pointee.fieldAddress(keys[start], hint: &hints[0]) {
                var level = 1
                while level < count {
                    guard let next = value.pointee.fieldAddress(keys[start + level], hint: &hints[level]) else {
                        return nil
                    }
                    value = next
                    level += 1
                }
                return value
            }
            index -= 1
        }
        return nil
    }

    /// Runs ops[from..<to]. The ops, text and keys are plain values read through pointers, and the values are
    /// read in place: walking the program counts no references.
    private func execute(
        _ program: Program, ops: UnsafeBufferPointer<Program.Op>, text: UnsafeBufferPointer<UInt8>,
        keys: UnsafeBufferPointer<String>, hints: UnsafeMutablePointer<Int32>, from: Int, to: Int,
        stack: inout FrameStack, into output: inout RenderOutput, depth: Int
    ) throws {
        var position = from
        while position < to {
            let op = ops[position]
            switch op.kind {
            case .text:
                output.append(UnsafeBufferPointer(rebasing: text[Int(op.a)..<Int(op.a + op.b)]))
                position += 1
            case .variable:
                let frame = Self.lookup(
                    keys, start: Int(op.keyStart), count: Int(op.keyCount), in: stack.frames,
                    hints: hints + Int(op.keyStart))
                position += 1
                guard let frame else {
                    if strict {
                        let site = program.sites[Int(op.a)]
                        throw TemplateError(
                            template: program.name, line: site.line, column: site.column,
                            message: "no value for \"\(site.name)\"")
                    }
                    continue
                }
                frame.pointee.write(escaped: op.flag, to: &output)
            case .section:
                let end = Int(op.a)
                let frame = Self.lookup(
                    keys, start: Int(op.keyStart), count: Int(op.keyCount), in: stack.frames,
                    hints: hints + Int(op.keyStart))
                // A section that pushes no context (an inverted one, or one over a flag) runs its body in place:
                // its ops are the ones that follow, up to `end`, where this loop goes on anyway. A week page
                // has several such sections per cell, each a call before.
                if op.flag {
                    position = frame?.pointee.isTruthy ?? false ? end : position + 1
                    continue
                }
                guard let frame, frame.pointee.isTruthy else {
                    position = end
                    continue
                }
                if case .bool = frame.pointee {
                    position += 1  // true: runs in place
                    continue
                }
                if let items = frame.pointee.listItems {
                    guard let first = items.baseAddress else {
                        position = end
                        continue
                    }
                    for item in 0..<items.count {
                        stack.push(first + item)
                        try execute(
                            program, ops: ops, text: text, keys: keys, hints: hints, from: position + 1, to: end,
                            stack: &stack, into: &output, depth: depth)
                        stack.pop()
                    }
                } else {
                    stack.push(frame)
                    try execute(
                        program, ops: ops, text: text, keys: keys, hints: hints, from: position + 1, to: end,
                        stack: &stack, into: &output, depth: depth)
                    stack.pop()
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
                try run(Int(op.a), from: 0, to: nil, stack: &stack, into: &output, depth: depth + 1)
                position += 1
            }
        }
    }
}
