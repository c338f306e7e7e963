import Foundation

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
    /// The op of `{{{content}}}` when this template can be a layout that writes its body in that place
    /// (`TemplateLibrary.render(_:inLayout:frames:into:)`): the one op naming `content`, raw, outside any
    /// section, in a template with no partial and no `{{.}}` (whose values could see the body's frame).
    let contentSlot: Int?

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
        contentSlot = Self.contentSlot(ops: ops, keys: keys, topLevel: Self.topLevel(ops))
        self.ops = ops
        self.text = text
        self.keys = keys
        self.sites = sites
    }

    /// Which ops lie outside every section.
    private static func topLevel(_ ops: [Op]) -> [Bool] {
        var outside = [Bool](repeating: false, count: ops.count)
        var position = 0
        while position < ops.count {
            outside[position] = true
            position = ops[position].kind == .section ? max(Int(ops[position].a), position + 1) : position + 1
        }
        return outside
    }

    private static func contentSlot(ops: [Op], keys: [String], topLevel: [Bool]) -> Int? {
        var slot: Int?
        for (position, op) in ops.enumerated() {
            switch op.kind {
            case .text:
                continue
            case .partial:
                return nil
            case .variable, .section:
                if op.keyCount == 0 { return nil }
                guard keys[Int(op.keyStart)] == "content" else { continue }
                let isSlot = op.kind == .variable && !op.flag && op.keyCount == 1 && topLevel[position]
                guard isSlot, slot == nil else { return nil }
                slot = position
            }
        }
        return slot
    }
}
