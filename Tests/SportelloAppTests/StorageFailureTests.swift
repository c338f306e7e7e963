import Foundation
import SportelloCore
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// A database that fails is answered as such (503 `storage_error`), never as "not found", "signed out" or
/// "nothing there": each of these answered 404 or 401 while the database could not be read.
@Suite(.serialized) struct StorageFailureTests {
    let now = rome("2026-11-25", "08:00")

    /// The error code and status of a JSON answer.
    func answer(_ reply: Reply) -> (Int, String) {
        let code = extract("\"error\":\"[a-z_]+\"", from: reply.body)?.split(separator: "\"")[2] ?? ""
        return (reply.status, String(code))
    }

    /// Makes every read of `table` fail from now on, as a damaged or missing table would.
    func breakTable(_ table: String, of site: RunningSite) throws {
        try site.store.database.write { try $0.execute("ALTER TABLE \(table) RENAME TO \(table)_gone") }
    }

    @Test func aReceiptLookupOnAFailingDatabaseIsNotANotFound() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let form = ["code": "ABCDEFGH", "codice_fiscale": "RSSMRA85T10A562S"]
        #expect(answer(try site.post("/api/receipts", form, json: true)) == (404, "booking_not_found"))
        try breakTable("bookings", of: site)
        #expect(answer(try site.post("/api/receipts", form, json: true)) == (503, "storage_error"))
    }

    @Test func aSessionOnAFailingDatabaseIsNotSignedOut() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let cookie = ["Cookie": "sportello_session=" + String(repeating: "a", count: 32)]
        func myBookings() throws -> (Int, String) {
            answer(try site.post("/api/my-bookings", [:], json: true, headers: cookie))
        }
        #expect(try myBookings() == (401, "sign_in_required"))
        try breakTable("sessions", of: site)
        #expect(try myBookings() == (503, "storage_error"))
    }

    @Test func anOperatorTokenOnAFailingDatabaseIsNotUnauthorized() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let bearer = ["Authorization": "Bearer op1-" + String(repeating: "0", count: 32)]
        func agenda() throws -> (Int, String) {
            answer(try site.post("/api/operator/agenda", [:], json: true, headers: bearer))
        }
        #expect(try agenda() == (401, "unauthorized"))
        try breakTable("operators", of: site)
        #expect(try agenda() == (503, "storage_error"))
    }

    @Test func aHoldLookupOnAFailingDatabaseIsNotAMissingHold() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let reply = try site.request("GET", "/api/holds/resume?hold=0123", json: true)
        #expect(answer(reply) == (404, "hold_not_found"))
        try breakTable("holds", of: site)
        #expect(answer(try site.request("GET", "/api/holds/resume?hold=0123", json: true)) == (503, "storage_error"))
    }

    @Test func storeLookupsThrowTheDatabaseError() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sportello-storage-\(UUID().uuidString)").path
        defer { TemporaryFolder.removeTree(folder) }
        let database = try Database(path: "\(folder)/db.sqlite")
        try database.write { try $0.execute("ALTER TABLE sessions RENAME TO sessions_gone") }
        try database.write { try $0.execute("ALTER TABLE accounts RENAME TO accounts_gone") }
        let accounts = AccountStore(database: database)
        #expect(throws: DatabaseError.self) {
            try accounts.account(session: String(repeating: "a", count: 32), now: now)
        }
        #expect(throws: AccountError.self) {
            try accounts.takeOver(codiceFiscale: "RSSMRA85T10A562S", now: now, address: "")
        }
        #expect(ErrorCode(AccountError.database(DatabaseError.inconsistent("x"))) == .storage)
        #expect(ErrorCode(BookingError.slotFull) == .slotFull)
        #expect(ErrorCode(AccountError.locked(until: 0)) == .accountLocked)
    }
}
