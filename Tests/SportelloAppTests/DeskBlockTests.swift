import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// A desk out of service: an operator block naming the desk takes it from every service sharing it, and an
/// office cancellation that keeps the place closed closes the desk the booking had (issue 18).
@Suite struct DeskBlockTests {
    // Wednesday 25 November 2026, 08:00; Thursday 26th the anagrafe opens 08:30-12:30.
    let now = rome("2026-11-25", "08:00")
    let thursday = CivilDate(iso: "2026-11-26")
    func at(_ time: String) -> Int64 { rome("2026-11-26", time) }

    func operatorToken(_ desks: DeskSite) throws -> [(String, String)] {
        let (_, token) = try desks.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        return [("Authorization", "Bearer \(token)")]
    }

    @Test func aBlockNamingADeskTakesItFromEveryServiceSharingIt() throws {
        let desks = try DeskSite(now: now)
        let bearer = try operatorToken(desks)
        #expect(desks.book("residenza", at("09:00"))?["desk"] as? String == "Sportello 1")
        let certificate = try #require(desks.book("certificati", at("09:00")))
        #expect(certificate["desk"] as? String == "Sportello 2")

        // Sportello 2 is out from 08:30 to 10:00, given on an identity-card block: the certificate (another
        // service, on that desk) is cancelled, the residence on Sportello 1 is not.
        let blocked = desks.post(
            .operatorBlocks,
            [
                "service": "carta-identita", "date": (thursday?.description ?? ""), "from": "08:30", "to": "10:00",
                "desk": "anagrafe/Sportello 2", "cancel_bookings": "1", "reason": "assenza",
            ], headers: bearer)
        #expect(blocked.status == 200)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(blocked.body)) as? [String: Any])
        let affected = (answer["affected"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(affected == [certificate["code"] as? String].compactMap { $0 })
        let blocks = answer["blocks"] as? [[String: Any]] ?? []
        #expect(blocks.contains { $0["desk"] as? String == "Sportello 2" && $0["desks"] as? Int == 1 })

        // Certificates (Sportello 2 only) are gone over the block; identity cards still fit on Sportello 1.
        #expect(desks.post(.holds, ["service": "certificati", "slot": String(at("09:30"))]).errorCode == "slot_full")
        #expect(desks.book("carta-identita", at("09:30"), as: 1)?["desk"] as? String == "Sportello 1")
        #expect(desks.book("certificati", at("10:00"), as: 2)?["desk"] as? String == "Sportello 2")

        // What the pages read agrees: certificates closed over the block, open after it.
        let source = StoreOccupancy(store: desks.store, catalogue: desks.site.catalogue)
        let occupancy = try source.occupancy(serviceID: "certificati", from: at("08:00"), to: at("13:00"), now: now)
        let certificates = occupancy["certificati"] ?? [:]
        #expect(certificates[at("08:30")]?.blocked == 1 && certificates[at("09:50")]?.blocked == 1)
        #expect(certificates[at("10:00")]?.booked == 1 && (certificates[at("10:10")]?.blocked ?? 0) == 0)
    }

    @Test func aDeskThatDoesNotServeTheServiceIsRefusedInWordsAndInJSON() throws {
        let desks = try DeskSite(now: now)
        let bearer = try operatorToken(desks)
        let form = [
            "service": "certificati", "date": (thursday?.description ?? ""), "from": "08:30", "to": "10:00",
            "desk": "anagrafe/Sportello 1",
        ]
        let json = desks.post(.operatorBlocks, form, headers: bearer)
        #expect(json.status == 422 && json.errorCode == "unknown_desk")
        var unknown = form
        unknown["desk"] = "anagrafe/Sportello 9"
        #expect(desks.post(.operatorBlocks, unknown, headers: bearer).errorCode == "unknown_desk")
        // A browser gets the agenda again, the desk named in the error summary and the typed values kept.
        let browser = desks.request(.operatorBlocks, form, headers: bearer, json: false)
        let page = EndpointFuzz.shown(desks.application.respond(to: browser), after: browser, on: desks.application)
        #expect(page.status == 422)
        #expect(page.text.contains("href=\"#block-desk\""))
        #expect(page.text.contains("<option value=\"anagrafe/Sportello 1\" selected>Sportello 1</option>"))
        #expect(page.text.contains("id=\"block-desk\" name=\"desk\" aria-invalid=\"true\""))
        let none = try desks.store.blocks(serviceID: nil, from: at("00:00"), to: at("23:59"))
        #expect(none.isEmpty)
    }

    @Test func keepingACancelledPlaceClosedClosesTheDeskTheBookingHad() throws {
        let desks = try DeskSite(now: now)
        let bearer = try operatorToken(desks)
        #expect(desks.book("carta-identita", at("11:00"))?["desk"] as? String == "Sportello 1")
        let second = try #require(desks.book("carta-identita", at("11:00"), as: 1))
        #expect(second["desk"] as? String == "Sportello 2")
        let cancelled = desks.post(
            .operatorCancel, ["code": second["code"] as? String ?? "", "reason": "sciopero", "keep_closed": "1"],
            headers: bearer)
        #expect(cancelled.status == 200)
        // Sportello 2 stays closed 11:00–11:20: a certificate (Sportello 2 only) cannot take it. Before, the
        // block fell on the service's first desk (Sportello 1, already booked) and Sportello 2 reopened.
        #expect(desks.post(.holds, ["service": "certificati", "slot": String(at("11:00"))]).errorCode == "slot_full")
        #expect(desks.book("certificati", at("11:20"), as: 2)?["desk"] as? String == "Sportello 2")
        let blocks = try desks.store.blocks(serviceID: nil, from: at("00:00"), to: at("23:59"))
        #expect(blocks.map(\.deskName) == ["Sportello 2"])
    }
}
