import Testing

@testable import SportelloStore

@Suite struct PasswordHasherTests {
    @Test func hashAndVerify() throws {
        let hash = try PasswordHasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$y$"))
        #expect(PasswordHasher.verify("correct horse battery staple", hash: hash))
        #expect(!PasswordHasher.verify("correct horse battery stapl", hash: hash))
        #expect(!PasswordHasher.verify("", hash: hash))
        // Fresh salt each time.
        let again = try PasswordHasher.hash("correct horse battery staple")
        #expect(again != hash)
        #expect(PasswordHasher.verify("correct horse battery staple", hash: again))
    }

    @Test func unicodeAndBadInput() throws {
        let hash = try PasswordHasher.hash("perché-è-così")
        #expect(PasswordHasher.verify("perché-è-così", hash: hash))
        #expect(!PasswordHasher.verify("perche-e-cosi", hash: hash))
        #expect(throws: PasswordHasher.Failure.unsupportedPassword) { try PasswordHasher.hash("a\u{0}b") }
        #expect(throws: PasswordHasher.Failure.unsupportedPassword) {
            try PasswordHasher.hash(String(repeating: "x", count: 600))
        }
        #expect(!PasswordHasher.verify("a\u{0}b", hash: hash))
        #expect(!PasswordHasher.verify("x", hash: ""))
        #expect(!PasswordHasher.verify("x", hash: "*0"))
        #expect(!PasswordHasher.verify("x", hash: "not a hash"))
    }
}
