import Testing

@testable import SportelloHTTP

@Suite struct FormDecoderTests {
    @Test func decodesPairsInOrder() throws {
        let form = try FormDecoder.decode(Array("nome=Mario+Rossi&tag=a&email=m%40example.it&tag=b&&vuoto=&flag".utf8))
        #expect(form["nome"] == "Mario Rossi")
        #expect(form["email"] == "m@example.it")
        #expect(form.values("tag") == ["a", "b"])
        #expect(form["vuoto"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
        #expect(form.names == ["nome", "tag", "email", "vuoto", "flag"])
        #expect(form.count == 6)
    }

    @Test func plusIsSpaceButEncodedPlusIsPlus() throws {
        let form = try FormDecoder.decode(query: "a=1+2&b=1%2B2&c%20d=x")
        #expect(form["a"] == "1 2")
        #expect(form["b"] == "1+2")
        #expect(form["c d"] == "x")
    }

    @Test func trimsAndNormalisesToNFC() throws {
        // "e" + COMBINING ACUTE ACCENT (NFD) becomes "é" (U+00E9).
        let form = try FormDecoder.decode(Array("citt%C3%A0=++Forl%C3%AC+&nome=Jose%CC%81+&+%20spazio%09=%0A+x+".utf8))
        #expect(form["nome"] == "Jos\u{E9}")
        #expect(form["nome"]?.unicodeScalars.count == 4)
        #expect(form["città"] == "Forlì")
        #expect(form["spazio"] == "x")
        let nfdName = try FormDecoder.decode(query: "cafe%CC%81=1")
        #expect(nfdName.names == ["caf\u{E9}"])
    }

    @Test(arguments: ["a=%", "a=%4", "a=%G1", "a=%%", "%zz=1", "a=100%"])
    func invalidPercentEncoding(_ input: String) {
        #expect(throws: FormError.invalidPercentEncoding) { try FormDecoder.decode(query: input) }
    }

    @Test(arguments: ["a=%C3%28", "a=%FF", "a=%C3", "%80=x", "a=%ED%A0%80"])
    func invalidUTF8(_ input: String) {
        #expect(throws: FormError.invalidUTF8) { try FormDecoder.decode(query: input) }
    }

    @Test func rawInvalidUTF8BytesAreRefused() {
        #expect(throws: FormError.invalidUTF8) { try FormDecoder.decode([0x61, 0x3D, 0xC3, 0x28]) }
    }

    @Test func fieldLimit() throws {
        let twoHundred = (0..<200).map { "f\($0)=v" }.joined(separator: "&")
        #expect(try FormDecoder.decode(query: twoHundred).count == 200)
        #expect(throws: FormError.tooManyFields) { try FormDecoder.decode(query: twoHundred + "&extra=1") }
    }

    @Test func emptyBody() throws {
        #expect(try FormDecoder.decode([]).isEmpty)
        #expect(try FormDecoder.decode(query: "&&&").isEmpty)
    }

    @Test func cookies() {
        #expect(parseCookies(nil).isEmpty)
        #expect(parseCookies("a=1; b = two ; c=\"q\"; a=3; bad; =x") == ["a": "1", "b": "two", "c": "q"])
        #expect(parseCookies("sid=abc=def") == ["sid": "abc=def"])
    }

    @Test func headersAreCaseInsensitiveAndOrdered() {
        var headers = HTTPHeaders([("Content-Type", "a"), ("X-Y", "1"), ("x-y", "2")])
        headers.add("X-Y", "3")
        #expect(headers["content-type"] == "a")
        #expect(headers["X-y"] == "1")
        #expect(headers.values("X-Y") == ["1", "2", "3"])
        #expect(headers["Missing"] == nil)
        #expect(headers.count == 4)
    }

    @Test func httpDatesRoundTrip() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
    }

    @Test func requestTargets() {
        #expect(RequestTarget.parse(Array("/a%20b?x=%20".utf8))! == ("/a b", "x=%20"))
        #expect(RequestTarget.parse(Array("/".utf8))! == ("/", nil))
        #expect(RequestTarget.parse(Array("/a+b?".utf8))! == ("/a+b", ""))
        #expect(RequestTarget.parse(Array("HTTPS://host".utf8))! == ("/", nil))
        #expect(RequestTarget.parse(Array("http://host?q".utf8))! == ("/", "q"))
        #expect(RequestTarget.parse(Array("/a#frag".utf8)) == nil)
        #expect(RequestTarget.parse(Array("ftp://x/".utf8)) == nil)
        #expect(RequestTarget.parse(Array("/%e2%82".utf8)) == nil)
        #expect(RequestTarget.parse([]) == nil)
    }
}
