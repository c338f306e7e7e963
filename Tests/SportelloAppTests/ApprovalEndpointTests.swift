import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloApp

/// Approval per service over HTTP (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): a request waits as "in attesa di conferma",
/// the office confirms or refuses it from the agenda (scope-checked, audited), an unanswered one expires, and the
/// public pages only ever show the slot occupied.
@Suite(.serialized) struct ApprovalEndpointTests {
    // Wednesday 25 November 2026, 08:00. Residenza: one desk, 30-minute slots from 08:30; here it needs approval.
    let now = rome("2026-11-25", "08:00")
    let thursday0830 = rome("2026-11-26", "08:30")
    let thursday0900 = rome("2026-11-26", "09:00")
    let week = "servizi/residenza/2026-W48.html"

    func approvalSite() throws -> RunningSite {
        try RunningSite(now: now) { configuration in
            func require(_ nodes: inout [ServiceDefinition]) {
                for index in nodes.indices {
                    if nodes[index].id == "residenza" {
                        nodes[index].approval = ApprovalSettings(required: true, expiresHoursBefore: 12)
                    }
                    require(&nodes[index].children)
                }
            }
            require(&configuration.services)
        }
    }

    /// Holds a slot and sends the form; returns the reply to the confirmation.
    func request(_ site: RunningSite, slot: Int64, json: Bool = true) throws -> (code: String, reply: Reply) {
        let hold = try site.post("/api/holds", ["service": "residenza", "slot": String(slot)], json: true)
        #expect(hold.status == 201)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        var form = person
        form["hold"] = token
        let reply = try site.post("/api/bookings", form, json: json)
        #expect(reply.status == 201)
        let code = try #require(extract("[2-9A-HJ-NP-Z]{8}", from: reply.body))
        return (code, reply)
    }

    func state(_ site: RunningSite, _ code: String) throws -> BookingState? {
        try site.store.booking(code: code)?.state
    }

    func outboxKinds(_ site: RunningSite, _ code: String) throws -> [String] {
        try site.store.database.read { connection in
            var kinds: [String] = []
            try connection.forEach(
                """
                SELECT DISTINCT kind FROM outbox WHERE booking_id = (SELECT id FROM bookings WHERE code = ?) ORDER BY id
                """, .text(code)
            ) { kinds.append($0.text(0)) }
            return kinds
        }
    }

    @Test func aRequestWaitsAndTheOfficeConfirmsIt() throws {
        let site = try approvalSite()
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try site.application.operators.create(name: "bruno", scope: ["tributi"], now: now)
        let (code, reply) = try request(site, slot: thursday0830)
        #expect(reply.body.contains("\"state\":\"pending\""))
        #expect(try state(site, code) == .pending)
        #expect(try outboxKinds(site, code) == ["requested"])
        // The public week shows the slot taken, nothing of whose or which state.
        site.eventually { cellState(page: site.file(week), slot: thursday0830) == "booked" }
        #expect(cellState(page: site.file(week), slot: thursday0830) == "booked")
        #expect(!site.file(week).contains("attesa") && !site.file(week).contains(code))

        let agenda = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26"])
        #expect(agenda.status == 200 && agenda.body.contains("In attesa di conferma"))
        #expect(agenda.body.contains("action=\"/api/operator/approve\"") && agenda.body.contains(code))
        // Not on a request outside the operator's scope, nor without signing in.
        #expect(try site.post("/api/operator/approve", ["token": tributi, "code": code]).status == 403)
        #expect(try site.post("/api/operator/refuse", ["token": tributi, "code": code, "reason": "no"]).status == 403)
        #expect(try site.post("/api/operator/approve", ["code": code]).status == 401)
        #expect(try state(site, code) == .pending)

        let approved = try site.post("/api/operator/approve", ["token": token, "code": code, "date": "2026-11-26"])
        #expect(approved.status == 200 && approved.body.contains("Operazione registrata"))
        #expect(try state(site, code) == .booked)
        #expect(try outboxKinds(site, code) == ["requested", "approved"])
        let again = try site.post("/api/operator/approve", ["token": token, "code": code])
        #expect(again.status == 409 && again.body.contains("Richiesta già gestita"))
        #expect(try site.post("/api/operator/approve", ["token": token, "code": "ZZZZZZZZ"]).status == 404)
        let audit = try site.store.database.read { connection in
            try connection.scalarInt(
                "SELECT COUNT(*) FROM audit WHERE actor = 'operator:anna' AND action = 'approval.confirm' AND subject = ?",
                .text(code))
        }
        #expect(audit == 1)
        // The citizen's receipt says what it is now.
        let receipt = try site.post("/api/receipts", ["code": code, "codice_fiscale": "RSSMRA85T10A562S"])
        #expect(receipt.status == 200 && receipt.body.contains("Prenotato"))
    }

    @Test func theConfirmationPageSaysRequestSentWithoutACalendarFile() throws {
        let site = try approvalSite()
        defer { site.stop() }
        let (code, page) = try request(site, slot: thursday0830, json: false)
        #expect(page.body.contains("Richiesta inviata") && page.body.contains(code))
        #expect(!page.body.contains("text/calendar") && !page.body.contains("calendar.google.com"))
        let receipt = try site.post("/api/receipts", ["code": code, "codice_fiscale": "RSSMRA85T10A562S"])
        #expect(receipt.body.contains("In attesa di conferma"))
    }

    @Test func refusingNeedsAReasonOfBoundedLengthAndFreesTheSlot() throws {
        let site = try approvalSite()
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["*"], now: now)
        let (code, _) = try request(site, slot: thursday0830)
        for reason in ["", "   \n ", String(repeating: "x", count: BookingStore.refusalReasonLimit + 1)] {
            let refused = try site.post("/api/operator/refuse", ["token": token, "code": code, "reason": reason])
            #expect(refused.status == 422, "\(reason.count)")
        }
        #expect(try state(site, code) == .pending)
        let hostile = "<script>alert(1)</script> & \"manca documento\""
        let refused = try site.post(
            "/api/operator/refuse", ["token": token, "code": code, "reason": hostile, "date": "2026-11-26"])
        #expect(refused.status == 200)
        #expect(!refused.body.contains("<script>alert") && refused.body.contains("&lt;script&gt;"))
        #expect(try state(site, code) == .cancelledByOperator)
        #expect(try outboxKinds(site, code) == ["requested", "refused"])
        #expect(try site.post("/api/operator/refuse", ["token": token, "code": code, "reason": "x"]).status == 409)
        site.eventually { cellState(page: site.file(week), slot: thursday0830) == "free" }
        #expect(cellState(page: site.file(week), slot: thursday0830) == "free")
    }

    @Test func anUnansweredRequestExpiresAndItsSlotIsFreeAgain() throws {
        let site = try approvalSite()
        defer { site.stop() }
        let (code, _) = try request(site, slot: thursday0900)
        site.application.expireUnansweredRequests(now: thursday0900 - 12 * 3_600 - 1)
        #expect(try state(site, code) == .pending)
        site.application.expireUnansweredRequests(now: thursday0900 - 12 * 3_600)
        #expect(try state(site, code) == .cancelledByOperator)
        #expect(try outboxKinds(site, code) == ["requested", "expired"])
        site.eventually { cellState(page: site.file(week), slot: thursday0900) == "free" }
        #expect(cellState(page: site.file(week), slot: thursday0900) == "free")
    }
}
