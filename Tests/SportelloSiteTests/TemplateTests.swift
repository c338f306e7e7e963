import Foundation
import Testing

@testable import SportelloSite

@Suite struct TemplateTests {
    func render(
        _ source: String, _ context: TemplateValue, partials: [String: String] = [:], strict: Bool = false
    ) throws -> String {
        var sources = partials
        sources["main"] = source
        return try TemplateLibrary(templates: sources, strict: strict).render("main", context)
    }

    @Test func variablesAreEscapedByDefault() throws {
        #expect(
            try render("<p>{{x}}</p>", ["x": "<script>alert('x') & \"y\"</script>"])
                == "<p>&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</p>")
        #expect(HTMLEscaper.escape("Città d'Italia <b>") == "Città d&#39;Italia &lt;b&gt;")
        #expect(HTMLEscaper.escape("") == "")
        #expect(HTMLEscaper.escape("🇮🇹 perché") == "🇮🇹 perché")
        // Eight bytes are tested at a time: each of the five, at every place of strings of every length up to
        // three words, among digits, spaces and letters outside ASCII, is escaped as a byte-by-byte escape does.
        func reference(_ text: String) -> String {
            let entities: [Character: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
            return text.map { entities[$0] ?? String($0) }.joined()
        }
        let fillers = ["0123456789 ,:;=?/", "abcdefghijklmnop", "è1à2ò3ù4"]
        for filler in fillers {
            for length in 0...24 {
                let plain = String(String(repeating: filler, count: 4).prefix(length))
                #expect(HTMLEscaper.escape(plain) == reference(plain))
                for special in ["&", "<", ">", "\"", "'"] {
                    for place in 0...plain.count {
                        var text = plain
                        text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: place))
                        #expect(HTMLEscaper.escape(text) == reference(text), "\(text)")
                        let doubled = text + special + text
                        #expect(HTMLEscaper.escape(doubled) == reference(doubled), "\(doubled)")
                    }
                }
            }
        }
    }

    @Test func rawOutputIsTheExplicitException() throws {
        #expect(try render("{{{x}}}|{{& x}}|{{x}}", ["x": "<b>"]) == "<b>|<b>|&lt;b&gt;")
    }

    @Test func dottedNamesAndTheContextStack() throws {
        let context: TemplateValue = [
            "a": ["b": ["c": "deep"]], "name": "outer", "items": [["n": "1"], ["n": "2", "name": "inner"]],
        ]
        #expect(try render("{{a.b.c}}", context) == "deep")
        #expect(try render("{{#items}}{{n}}:{{name}} {{/items}}", context) == "1:outer 2:inner ")
        #expect(try render("{{#items}}{{a.b.c}}{{/items}}", context) == "deepdeep")
        #expect(try render("{{#list}}[{{.}}]{{/list}}", ["list": ["x", "<y>"]]) == "[x][&lt;y&gt;]")
        #expect(try render("{{a.missing}}{{missing.b}}", context) == "")
    }

    @Test func sectionsFollowMustacheTruthiness() throws {
        let context: TemplateValue = [
            "yes": true, "no": false, "empty": [], "blank": "", "text": "t", "object": ["k": "v"],
        ]
        #expect(
            try render(
                "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#empty}}E{{/empty}}{{#blank}}B{{/blank}}{{#missing}}M{{/missing}}",
                context) == "Y")
        #expect(
            try render(
                "{{^yes}}Y{{/yes}}{{^no}}N{{/no}}{{^empty}}E{{/empty}}{{^blank}}B{{/blank}}{{^missing}}M{{/missing}}",
                context) == "NEBM")
        #expect(try render("{{#text}}<{{.}}>{{/text}}{{#object}}{{k}}{{/object}}", context) == "<t>v")
        // Flag and inverted sections run their bodies in place (no context of their own): nested, after one
        // another and inside a list, each still ends where its closing tag is.
        #expect(try render("{{#yes}}a{{^no}}b{{#yes}}c{{/yes}}{{#no}}x{{/no}}{{/no}}d{{/yes}}e", context) == "abcde")
        let items: TemplateValue = [
            "items": [["name": "1", "flag": true], ["name": "2", "flag": false], ["name": "3", "flag": true]],
            "name": "outer",
        ]
        #expect(
            try render("{{#items}}{{#flag}}[{{name}}]{{/flag}}{{^flag}}({{name}}){{/flag}};{{/items}}{{name}}", items)
                == "[1];(2);[3];outer")
    }

    @Test func partialsCommentsAndStandaloneLines() throws {
        let source = "<ul>\n  {{#items}}\n  {{> item}}\n  {{/items}}\n</ul>\n{{! a comment }}\nend"
        let output = try render(source, ["items": ["a", "b"]], partials: ["item": "<li>{{.}}</li>\n"])
        #expect(output == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\nend")
        #expect(try render("a {{#x}}b{{/x}} c", ["x": true]) == "a b c")  // inline tags keep their spaces
    }

    @Test func recursivePartialsRenderTreesButRunawayRecursionIsAnError() throws {
        let tree: TemplateValue = [
            "name": "root", "children": [["name": "a", "children": [["name": "a1", "children": []]]]],
        ]
        let output = try render(
            "{{> node}}", tree, partials: ["node": "{{name}}({{#children}}{{> node}}{{/children}})"])
        #expect(output == "root(a(a1()))")
        #expect(throws: TemplateError.self) { try render("{{> loop}}", [:], partials: ["loop": "x{{> loop}}"]) }
        #expect(throws: TemplateError.self) { try render("{{> nowhere}}", [:]) }
    }

    @Test func strictModeNamesTheMissingValue() throws {
        #expect(throws: TemplateError(template: "main", line: 2, column: 3, message: "no value for \"who.name\"")) {
            try render("hi\n  {{who.name}}", [:], strict: true)
        }
    }

    @Test(arguments: [
        ("{{#a}}\nx", "main:1:1: section \"a\" is never closed"),
        ("x\n{{#a}}{{/b}}", "main:2:7: \"b\" closes section \"a\" opened at line 2"),
        ("{{/a}}", "main:1:1: \"a\" closes a section that was never opened"),
        ("ab {{x", "main:1:4: tag is never closed"),
        ("{{ }}", "main:1:1: a tag needs a name"),
        ("{{{x}}", "main:1:1: tag is never closed"),
    ])
    func parseErrorsSayWhereAndWhat(source: String, message: String) {
        do {
            _ = try Template(name: "main", source: source)
            Issue.record("no error for \(source)")
        } catch {
            #expect(error.description == message)
        }
    }

    /// Tag locations are counted on from the previous tag (once over the text, not from its start for each tag):
    /// every tag of a long template still gets its own line and column.
    @Test func everyTagOfALongTemplateKnowsItsLineAndColumn() throws {
        let lines = (0..<300).map { "line \($0) {{#s}}{{v\($0)}}{{/s}}" }
        let source = lines.joined(separator: "\n") + "\n\t{{missing}}"
        let values = (0..<300).map { ("v\($0)", TemplateValue.string("\($0)")) }
        let context = TemplateValue.object(TemplateFields(values + [("s", true)]))
        #expect(throws: TemplateError(template: "main", line: 301, column: 2, message: "no value for \"missing\"")) {
            try render(source, context, strict: true)
        }
        let without = TemplateValue.object(TemplateFields(values.filter { $0.0 != "v199" } + [("s", true)]))
        #expect(throws: TemplateError(template: "main", line: 200, column: 16, message: "no value for \"v199\"")) {
            try render(source + "\n{{missing}}", without, strict: true)
        }
        do {
            _ = try Template(name: "main", source: source + "\n  {{/t}}")
            Issue.record("no error for a stray closing tag")
        } catch {
            #expect(error.description == "main:302:3: \"t\" closes a section that was never opened")
        }
    }

    /// A tag's name is trimmed of spaces and tabs, and of Unicode's other spaces (as Foundation's
    /// `.whitespaces`); its inside is kept.
    @Test func tagNamesAreTrimmedOfSpacesOnly() throws {
        #expect(
            try render("{{ a }}|{{\ta\t}}|{{{ a }}}|{{# s }}x{{/ s }}", ["a": "<1>", "s": true])
                == "&lt;1&gt;|&lt;1&gt;|<1>|x")
        #expect(try render("{{\u{00A0}a\u{2003}}}", ["a": "nbsp"]) == "nbsp")
        #expect(try render("{{ é.ü }}", ["é": ["ü": "deep"]]) == "deep")
        #expect(try render("{{\na\n}}", ["\na\n": "kept", "a": "trimmed"]) == "kept")
    }

    @Test func bufferAndStringRenderingAgree() throws {
        let library = try TemplateLibrary(templates: [
            "t": "{{#rows}}<tr>{{#cells}}<td class=\"{{state}}\">{{text}}</td>{{/cells}}</tr>{{/rows}}"
        ])
        let cells: [TemplateValue] = (0..<7).map { ["state": "free", "text": .string("Libero \($0) è")] }
        let context: TemplateValue = ["rows": .list((0..<17).map { _ in ["cells": .list(cells)] })]
        var buffer: [UInt8] = []
        for _ in 0..<200 {
            buffer.removeAll(keepingCapacity: true)
            try library.render("t", context, into: &buffer)
        }
        #expect(String(decoding: buffer, as: UTF8.self) == (try library.render("t", context)))
        #expect(buffer.count > 17 * 7 * 20)
    }

    @Test func aDirectoryLoadsWithNestedPartialsAndSkipsAssets() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("partials"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("assets"), withIntermediateDirectories: true)
        try "[{{> partials/inner}}]".write(
            to: folder.appendingPathComponent("page.html"), atomically: true, encoding: .utf8)
        try "in{{x}}".write(to: folder.appendingPathComponent("partials/inner.html"), atomically: true, encoding: .utf8)
        try "text {{x}}".write(to: folder.appendingPathComponent("mail.txt"), atomically: true, encoding: .utf8)
        try "{{#broken".write(
            to: folder.appendingPathComponent("assets/ignored.html"), atomically: true, encoding: .utf8)
        let library = try TemplateLibrary(directory: folder.path)
        #expect(try library.render("page", ["x": "!"]) == "[in!]")
        #expect(try library.render("mail.txt", ["x": "&"]) == "text &amp;")
        #expect(!library.has("assets/ignored"))
    }

    @Test func markupIsRawInTripleBracesAndEscapedInDoubleOnes() throws {
        let library = try TemplateLibrary(templates: ["raw": "{{{body}}}", "escaped": "{{body}}"])
        let body = TemplateValue.markup(Array("<p>è &amp;</p>".utf8))
        #expect(try library.render("raw", ["body": body]) == "<p>è &amp;</p>")
        #expect(try library.render("escaped", ["body": body]) == "&lt;p&gt;è &amp;amp;&lt;/p&gt;")
    }

    @Test func fieldsKeepOrderReplaceRemoveAndCompareIgnoringOrder() {
        var fields: TemplateFields = ["a": "1", "b": "2"]
        fields["a"] = "3"
        fields["c"] = true
        #expect(fields.map(\.key) == ["a", "b", "c"])
        #expect(fields["a"] == "3")
        fields["b"] = nil
        #expect(fields.count == 2 && fields["b"] == nil)
        #expect(fields == ["c": true, "a": "3"])
        #expect(fields != ["c": true, "a": "4"])
        // Past the threshold a hashed index takes over; it must stay right through replacements and removals.
        var large = TemplateFields()
        for number in 0..<40 { large["key\(number)"] = .string("\(number)") }
        large["key7"] = nil
        large["key8"] = "eight"
        #expect(large.count == 39 && large["key7"] == nil && large["key8"] == "eight" && large["key39"] == "39")
        #expect(TemplateFields(names: ["x", "y"], values: ["1", "2"]) == ["y": "2", "x": "1"])
    }

    /// Objects that are rows of one shared array of values (a week's cells) read their own run of it, render
    /// as separate objects would, and a change to one row leaves the others as they were.
    @Test func rowsOfOneArrayOfValuesAreObjectsOfTheirOwn() throws {
        let shared: [TemplateValue] = ["a", "1", true, "b", "2", "c", "3", false]
        var first = TemplateFields(names: ["name", "n", "flag"], values: shared, start: 0)
        let second = TemplateFields(names: ["name", "n"], values: shared, start: 3)
        let third = TemplateFields(names: ["name", "n", "flag"], values: shared, start: 5)
        #expect(first == ["name": "a", "n": "1", "flag": true])
        #expect(second == ["name": "b", "n": "2"] && second.count == 2)
        #expect(third["flag"] == false && third["name"] == "c")
        #expect(Array(third.map(\.key)) == ["name", "n", "flag"] && Array(third.map(\.value)) == ["c", "3", false])
        #expect(TemplateFields(names: ["name", "n"], values: shared, start: 7).isEmpty)
        #expect(TemplateFields(names: ["name"], values: shared, start: -1).isEmpty)
        let rows: TemplateValue = ["rows": .list([.object(first), .object(second), .object(third)])]
        let library = try TemplateLibrary(templates: ["t": "{{#rows}}{{name}}={{n}}{{#flag}}!{{/flag}};{{/rows}}"])
        #expect(try library.render("t", rows) == "a=1!;b=2;c=3;")
        first["n"] = "9"
        first["extra"] = "x"
        #expect(first == ["name": "a", "n": "9", "flag": true, "extra": "x"])
        #expect(second == ["name": "b", "n": "2"] && third["n"] == "3")
        #expect(try library.render("t", rows) == "a=1!;b=2;c=3;")
    }

    @Test func formatReplacesKnownPlaceholdersOnlyAndKeepsUnicode() throws {
        let json = #"{"a": {"b": "Già {n} posti — {unknown} {n}{", "c": "{x}"}}"#
        let texts = try Translations(language: "it", json: Data(json.utf8))
        #expect(texts.format("a.b", ["n": "2"]) == "Già 2 posti — {unknown} 2{")
        #expect(texts.format("a.c", ["x": "è"]) == "è")
        #expect(texts.format("missing.key", [:]) == "missing.key")
    }

    @Test func framesAreLookedUpInnermostFirst() throws {
        let library = try TemplateLibrary(
            templates: [
                "main": "{{a}} {{b}} {{c.d}} {{#list}}{{n}}{{a}}{{c.d}}|{{/list}}{{#c}}{{d}}{{b}}{{/c}}",
                "missing": "x\n {{#list}}{{nowhere.d}}{{/list}}",
            ], strict: true)
        let shared: TemplateValue = ["a": "shared", "b": "<b>", "c": ["d": "deep"]]
        let page: TemplateValue = ["a": "page", "list": [["n": "1"], ["n": "2", "a": "item"]]]
        var buffer: [UInt8] = []
        try library.render("main", frames: [shared, page], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "page &lt;b&gt; deep 1pagedeep|2itemdeep|deep&lt;b&gt;")
        // One merged object renders the same as the frames it merges.
        #expect(
            try library.render("main", ["a": "page", "b": "<b>", "c": ["d": "deep"], "list": page["list"] ?? []])
                == String(decoding: buffer, as: UTF8.self))
        let missing = TemplateError(template: "missing", line: 2, column: 11, message: "no value for \"nowhere.d\"")
        #expect(throws: missing) {
            var ignored: [UInt8] = []
            try library.render("missing", frames: [shared, page], into: &ignored)
        }
    }

    @Test func itemsOfDifferentShapesResolveEachOwnFields() throws {
        // A section remembers where it found a name in the previous item: items whose fields are in another
        // order, or missing, must still give their own values (or the outer context's).
        let context: TemplateValue = [
            "a": "o", "b": "p",
            "items": [["a": "1", "b": "2"], ["b": "3", "a": "4"], ["c": "5"], ["a": "6"], ["x": "7", "b": "8"]],
        ]
        #expect(try render("{{#items}}{{a}}{{b}}{{#c}}{{c}}{{/c}}|{{/items}}", context) == "12|43|op5|6p|o8|")
    }

    @Test func aBodyInsideALayoutIsTheBodyRenderedApartThenTheLayout() throws {
        let body = "<p>{{title}} {{a}}</p>{{#list}}[{{n}}]{{/list}}"
        let layouts = [
            // The body is written in the content's place as the layout goes.
            "written": "<h1>{{title}}</h1>{{#list}}{{n}}{{/list}}{{{content}}}<footer>{{a}}</footer>",
            // Rendered apart: content escaped, inside a section, named twice, `{{.}}`, a partial, none at all.
            "escaped": "<h1>{{title}}</h1>{{content}}",
            "inSection": "{{#list}}{{{content}}}{{/list}}",
            "twice": "{{{content}}}{{{content}}}",
            "dot": "{{#a}}{{.}}{{/a}}{{{content}}}",
            "partial": "{{> inner}}{{{content}}}",
            "none": "{{title}}",
        ]
        var sources = layouts
        sources["body"] = body
        sources["inner"] = "({{a}})"
        let library = try TemplateLibrary(templates: sources)
        #expect(library.programs[library.programIndex["written"] ?? -1].contentSlot != nil)
        for name in layouts.keys where name != "written" {
            #expect(library.programs[library.programIndex[name] ?? -1].contentSlot == nil, "\(name)")
        }
        let shared: TemplateValue = ["a": "<shared>", "title": "Città"]
        let long = String(repeating: "è&", count: 40_000)
        for page: TemplateValue in [["title": "Pagina", "list": [["n": "1"], ["n": "2"]]], ["a": .string(long)]] {
            for layout in layouts.keys.sorted() {
                var apart: [UInt8] = []
                try library.render("body", frames: [shared, page], into: &apart)
                var expected: [UInt8] = Array("kept|".utf8)
                try library.render(layout, frames: [shared, page, ["content": .markup(apart)]], into: &expected)
                var written: [UInt8] = Array("kept|".utf8)
                try library.render("body", inLayout: layout, frames: [shared, page], into: &written)
                #expect(written == expected, "\(layout)")
            }
        }
        // Strict rendering (every command's) takes the same path and reports the body's missing name first, as
        // when the body is rendered before the layout, though the layout's part before the body runs first.
        let strict = try TemplateLibrary(templates: sources, strict: true)
        var strictBytes: [UInt8] = []
        try strict.render(
            "body", inLayout: "written", frames: [shared, ["title": "T", "list": []]], into: &strictBytes)
        #expect(
            String(decoding: strictBytes, as: UTF8.self)
                == "<h1>T</h1><p>T &lt;shared&gt;</p><footer>&lt;shared&gt;</footer>")
        let bodyFirst = TemplateError(template: "body", line: 1, column: 4, message: "no value for \"title\"")
        #expect(throws: bodyFirst) {
            var ignored: [UInt8] = []
            try strict.render("body", inLayout: "written", frames: [["a": "x", "list": []]], into: &ignored)
        }
        var untouched: [UInt8] = Array("kept".utf8)
        #expect(throws: TemplateError.self) {
            try library.render("nowhere", inLayout: "written", frames: [shared], into: &untouched)
        }
        #expect(untouched == Array("kept".utf8))
    }

    @Test func sectionsNestDeeperThanTheStackFirstHolds() throws {
        // Twenty-five objects inside each other: the stack of contexts grows past the room it starts with.
        let depth = 25
        let source =
            (0..<depth).map { "{{#o\($0)}}" }.joined() + "{{top}}{{n}}"
            + (0..<depth).reversed().map { "{{/o\($0)}}" }.joined()
        var context: TemplateValue = ["n": "<in>"]
        for level in (0..<depth).reversed() { context = .object(TemplateFields([("o\(level)", context)])) }
        guard case .object(var fields) = context else { return }
        fields["top"] = "top"
        #expect(try render(source, .object(fields), strict: true) == "top&lt;in&gt;")
    }
}
