import Foundation
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp
@testable import SportelloCore

/// Nobody can squat: the budgets of one client over real HTTP, with the limits' defaults.
@Suite(.serialized) struct LimitEndpointTests {
    // Wednesday 25 November 2026, 08:00; Thursday 26th has free identity-card slots every 20 minutes from 08:30.
    let now = rome("2026-11-25", "08:00")

    func site(_ configure: (inout SiteConfiguration) -> Void = { _ in }) throws -> RunningSite {
        try RunningSite(now: now) {
            $0.limits = LimitSettings()
            $0.booking.maxActiveBookingsPerPerson = nil
            configure(&$0)
        }
    }

    /// The identity-card slots from Thursday 26th on, in order.
    static let slots: [Int64] = {
        guard let configuration = try? SiteConfiguration.load(path: FixtureComune.configurationPath()),
            let service = Catalogue(configuration: configuration).service(id: "carta-identita")
        else { return [] }
        return (0..<7).flatMap { day in
            service.slots(on: CivilDate(year: 2026, month: 11, day: 26)!.adding(days: day)).map(\.startInstant)
        }
    }()

    func slot(_ index: Int) -> String { Self.slots.indices.contains(index) ? String(Self.slots[index]) : "0" }

    /// A well-formed codice fiscale per index (the check character computed), as a squatter makes them up.
    static func madeUpCodiceFiscale(_ index: Int) -> String {
        let first15 = "RSSMRA85T10A" + String(format: "%03d", index % 1000)
        return first15 + String(UnicodeScalar(CodiceFiscale.checkCharacter(for: Array(first15.utf8)[...])))
    }

    func json(_ reply: Reply) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]) ?? [:]
    }

    func retryAfter(_ reply: Reply) -> Int? { (reply.headers["Retry-After"] as? String).flatMap { Int($0) } }

    @Test func oneAddressCannotHoldAWholeServiceAndIsToldUntilWhen() throws {
        let site = try site()
        defer { site.stop() }
        for index in 0..<2 {
            #expect(
                try site.post("/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true).status
                    == 201)
        }
        let refused = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(2)], json: true)
        #expect(refused.status == 429)
        #expect(json(refused)["error"] as? String == "too_many_holds")
        // The first hold runs out 10 minutes after 08:00.
        #expect((json(refused)["message"] as? String ?? "").contains("alle 08:10"))
        #expect(retryAfter(refused) == 600)
        // The page for browsers says the same, in English too.
        let page = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(3), "lang": "en"])
        #expect(page.status == 429 && page.body.contains("already holds 2 times") && page.body.contains("08:10"))
        // Nothing was taken by the refusals; another citizen (through the trusted proxy) holds freely.
        let other = try site.post(
            "/api/holds", ["service": "carta-identita", "slot": slot(2)], json: true,
            headers: ["X-Forwarded-For": "198.51.100.7"])
        #expect(other.status == 201)
        // One IPv6 subscriber is one client, whichever address of its /64 it picks.
        for (index, address) in ["2001:db8:5:6::1", "2001:db8:5:6:ffff::2"].enumerated() {
            #expect(
                try site.post(
                    "/api/holds", ["service": "carta-identita", "slot": slot(10 + index)], json: true,
                    headers: ["X-Forwarded-For": address]
                ).status == 201)
        }
        #expect(
            try site.post(
                "/api/holds", ["service": "carta-identita", "slot": slot(12)], json: true,
                headers: ["X-Forwarded-For": "2001:db8:5:6:abcd::3"]
            ).status == 429)
        // When the first holds run out, the client may hold again.
        site.clock.advance(601)
        #expect(try site.post("/api/holds", ["service": "carta-identita", "slot": slot(2)], json: true).status == 201)
    }

    @Test func aBrowsersNewHoldGivesBackItsPreviousOne() throws {
        let site = try site()
        defer { site.stop() }
        let first = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(0)])
        let cookie = try #require(first.headers["Set-Cookie"] as? String)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/api/"))
        let visitor = try #require(extract("sportello_visitor=[0-9a-f]{32}", from: cookie))
        let firstToken = try #require(
            extract("[0-9a-f]{32}", from: extract("name=\"hold\" value=\"[0-9a-f]{32}\"", from: first.body) ?? ""))
        // Picking another time from the same browser: the first is given back at once, and no cookie is set again.
        let second = try site.post(
            "/api/holds", ["service": "carta-identita", "slot": slot(1)], headers: ["Cookie": visitor])
        #expect(second.status == 200 && second.headers["Set-Cookie"] == nil)
        #expect(try site.post("/api/review", ["hold": firstToken], json: true).status == 410)
        #expect(try site.store.hold(token: firstToken)?.released == true)
        // So a browser changing its mind many times never meets the address's cap.
        for index in 2..<8 {
            #expect(
                try site.post(
                    "/api/holds", ["service": "carta-identita", "slot": slot(index)], headers: ["Cookie": visitor]
                ).status == 200)
        }
        // A forged cookie is no session: a fresh one is issued.
        let forged = try site.post(
            "/api/holds", ["service": "carta-identita", "slot": slot(9)], json: true,
            headers: ["Cookie": "sportello_visitor=../x"])
        #expect((forged.headers["Set-Cookie"] as? String)?.contains("sportello_visitor=") == true)
    }

    @Test func inventedPeopleWithOneContactGetAtMostTheDailyBookings() throws {
        let site = try site()
        defer { site.stop() }
        var statuses: [Int] = []
        var last = Reply(status: 0, body: "", headers: [:])
        for index in 0..<5 {
            // Each booking from its own made-up address (so only the contact cap counts), one mailbox for all.
            let address = "198.51.100.\(index + 1)"
            let hold = try site.post(
                "/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true,
                headers: ["X-Forwarded-For": address])
            let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
            var fields = person
            fields["hold"] = token
            fields["codice_fiscale"] = Self.madeUpCodiceFiscale(index)
            fields["cellulare"] = "33312345\(10 + index)"
            last = try site.post("/api/bookings", fields, json: true, headers: ["X-Forwarded-For": address])
            statuses.append(last.status)
        }
        #expect(statuses == [201, 201, 201, 201, 429])
        #expect(json(last)["error"] as? String == "daily_limit_reached")
        #expect((json(last)["message"] as? String ?? "").contains("26 novembre"))  // tomorrow
        #expect(retryAfter(last) == Int(rome("2026-11-26", "00:00") - now))
        #expect(try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings") } == 4)
        // The next day the same mailbox may book again.
        site.clock.advance(Int64(rome("2026-11-26", "00:00") - now))
        let hold = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(20)], json: true)
        var fields = person
        let holdToken: String = try #require(extract("[0-9a-f]{32}", from: hold.body))
        fields["hold"] = holdToken
        #expect(try site.post("/api/bookings", fields, json: true).status == 201)
    }

    @Test func oneAddressBooksAtMostItsDailyCap() throws {
        let site = try site { $0.limits.bookingsPerAddressPerDay = 2 }
        defer { site.stop() }
        var statuses: [Int] = []
        for index in 0..<3 {
            let hold = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true)
            var fields = person
            let holdToken: String = try #require(extract("[0-9a-f]{32}", from: hold.body))
            fields["hold"] = holdToken
            fields["codice_fiscale"] = Self.madeUpCodiceFiscale(index)
            fields["email"] = "persona\(index)@example.it"
            fields["cellulare"] = "34712345\(10 + index)"
            statuses.append(try site.post("/api/bookings", fields, json: true).status)
        }
        #expect(statuses == [201, 201, 429])
    }

    @Test func registrationsAndResetsAreCappedPerAddressAndContact() throws {
        let site = try site {
            $0.notifications.sms = true
            $0.notifications.smsCommand = ["/bin/true"]
        }
        defer { site.stop() }
        func register(_ index: Int, email: String, phone: String, from address: String) throws -> Reply {
            try site.post(
                "/api/accounts",
                [
                    "nome": "Pinco", "cognome": "Pallino", "codice_fiscale": Self.madeUpCodiceFiscale(index),
                    "email": email, "cellulare": phone,
                ], json: true, headers: ["X-Forwarded-For": address])
        }
        // A flood from one address: five registrations a day, then a clear refusal.
        var statuses: [Int] = []
        for index in 0..<8 {
            statuses.append(
                try register(
                    index, email: "p\(index)@example.it", phone: "+8823123456\(100 + index)", from: "203.0.113.9"
                ).status)
        }
        #expect(statuses == [202, 202, 202, 202, 202, 429, 429, 429])
        // SMS pumping: none of those SMS went to the +882 numbers; mail did.
        let sms = try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE channel = 'sms'") }
        #expect(sms == 0)
        #expect(
            try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE channel = 'email'") }
                == 5)
        // One mailbox from many addresses: two registrations a day.
        statuses = []
        for index in 10..<13 {
            statuses.append(
                try register(index, email: "same@example.it", phone: "3471234567", from: "198.51.100.\(index)").status)
        }
        #expect(statuses == [202, 202, 429])
        // Credentials go to one contact only (the email while the comune sends mail), never by SMS here.
        #expect(
            try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE channel = 'email'") }
                == 7)
        #expect(
            try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE channel = 'sms'") } == 0)
        // Credential resets: three a day per contact, whether or not the account exists (the answer does not tell).
        statuses = []
        for index in 0..<4 {
            statuses.append(
                try site.post(
                    "/api/credentials",
                    ["codice_fiscale": Self.madeUpCodiceFiscale(20 + index), "contatto": "same@example.it"],
                    json: true, headers: ["X-Forwarded-For": "192.0.2.\(index + 1)"]
                ).status)
        }
        #expect(statuses == [202, 202, 202, 429])
        // And three a day per codice fiscale, whatever contact is given (each reset replaces the holder's password).
        statuses = []
        for index in 0..<4 {
            statuses.append(
                try site.post(
                    "/api/credentials",
                    ["codice_fiscale": Self.madeUpCodiceFiscale(30), "contatto": "other\(index)@example.it"],
                    json: true, headers: ["X-Forwarded-For": "192.0.2.\(index + 10)"]
                ).status)
        }
        #expect(statuses == [202, 202, 202, 429])
    }

    @Test func credentialsBySMSGoOnlyToItalianMobiles() throws {
        // A comune that sends no mail sends credentials by SMS: the pumping target.
        let site = try site {
            $0.notifications.email = false
            $0.notifications.sms = true
            $0.notifications.smsCommand = ["/bin/true"]
        }
        defer { site.stop() }
        for (index, phone) in ["+8823123456100", "+8823123456101", "3471234567"].enumerated() {
            let reply = try site.post(
                "/api/accounts",
                [
                    "nome": "Pinco", "cognome": "Pallino", "codice_fiscale": Self.madeUpCodiceFiscale(40 + index),
                    "email": "p\(index)@example.it", "cellulare": phone,
                ], json: true,
                headers: ["X-Forwarded-For": "198.51.100.\(index + 1)"])
            #expect(reply.status == 202)
        }
        let recipients = try site.store.database.read { connection in
            var recipients: [String] = []
            try connection.forEach("SELECT recipient FROM outbox WHERE channel = 'sms'") {
                recipients.append($0.text(0))
            }
            return recipients
        }
        #expect(recipients.count == 1 && recipients.allSatisfy { !$0.contains("882") }, "\(recipients)")
    }

    @Test func zeroSwitchesTheHoldCapOff() throws {
        let site = try site { $0.limits.holdsPerClient = 0 }
        defer { site.stop() }
        // No cap and no browser session: a client may hold many, and no session cookie is needed for it.
        for index in 0..<6 {
            #expect(
                try site.post("/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true).status
                    == 201)
        }
    }

    /// The answer to a challenge: the first nonce whose SHA-256 after the salt starts with `bits` zero bits.
    func solve(_ challenge: [String: Any]) throws -> [String: String] {
        let salt = try #require(challenge["salt"] as? String)
        let bits = try #require((challenge["bits"] as? NSNumber)?.intValue)
        let nonce = try #require((0..<1_000_000).first { ProofOfWork.work(salt: salt, nonce: String($0)) >= bits })
        return [
            "pow_salt": salt, "pow_issued": "\((challenge["issued"] as? NSNumber)?.int64Value ?? 0)",
            "pow_signature": challenge["signature"] as? String ?? "", "pow_nonce": String(nonce),
        ]
    }

    /// Proof of work on (10 bits, 20 s), and the test client already holding its two slots.
    func siteAtItsHoldCapWithProofOfWork() throws -> RunningSite {
        let site = try site {
            var proof = ProofOfWorkSettings()
            proof.bits = 10
            proof.waitSeconds = 20
            $0.limits.proofOfWork = proof
        }
        for index in 0..<2 {
            #expect(
                try site.post("/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true).status
                    == 201)
        }
        return site
    }

    @Test func pastItsBudgetAClientMayActOnceMoreByProvingWorkOrWaiting() throws {
        let site = try siteAtItsHoldCapWithProofOfWork()
        defer { site.stop() }
        let hold = ["service": "carta-identita", "slot": slot(2)]
        let refused = try site.post("/api/holds", hold, json: true)
        #expect(refused.status == 429 && json(refused)["error"] as? String == "too_many_holds")
        let challenge = try #require(json(refused)["challenge"] as? [String: Any])
        #expect(
            challenge["algorithm"] as? String == "SHA-256" && (challenge["waitSeconds"] as? NSNumber)?.intValue == 20)
        let answer = try solve(challenge)
        // The answer is bound to the client's address: another client at its cap cannot use it.
        for index in 10..<12 {
            #expect(
                try site.post(
                    "/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true,
                    headers: ["X-Forwarded-For": "198.51.100.9"]
                ).status == 201)
        }
        #expect(
            try site.post(
                "/api/holds", hold.merging(answer) { $1 }, json: true, headers: ["X-Forwarded-For": "198.51.100.9"]
            ).status == 429)
        // A wrong nonce is no answer.
        #expect(
            try site.post(
                "/api/holds",
                [
                    "service": "carta-identita", "slot": slot(3), "pow_salt": answer["pow_salt"] ?? "",
                    "pow_issued": answer["pow_issued"] ?? "", "pow_signature": answer["pow_signature"] ?? "",
                    "pow_nonce": "x",
                ], json: true
            ).status == 429)
        // That refusal issued a new challenge, which replaced the first: its answer no longer counts.
        #expect(try site.post("/api/holds", hold.merging(answer) { $1 }, json: true).status == 429)
        let fresh = try site.post("/api/holds", hold, json: true)
        let second = try solve(try #require(json(fresh)["challenge"] as? [String: Any]))
        #expect(try site.post("/api/holds", hold.merging(second) { $1 }, json: true).status == 201)
        // Once only.
        #expect(
            try site.post(
                "/api/holds", ["service": "carta-identita", "slot": slot(3)].merging(second) { $1 }, json: true
            ).status == 429)
        // What the page sends back is escaped like everything else.
        let hostile = try site.post(
            "/api/holds", ["service": "carta-identita", "slot": slot(3), "note": "\"><script>alert(1)</script>"])
        #expect(
            hostile.status == 429 && !hostile.body.contains("<script>alert")
                && hostile.body.contains("&quot;&gt;&lt;script&gt;"))
        // Without JavaScript: the page's form sends the request back; accepted once the wait is over.
        let page = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(3)])
        #expect(page.status == 429 && page.body.contains("data-pow=\"10\"") && page.body.contains("attendi 20 secondi"))
        #expect(page.body.contains("<input type=\"hidden\" name=\"slot\" value=\"\(slot(3))\">"))
        let waited = [
            "service": "carta-identita", "slot": slot(3),
            "pow_salt": try #require(extract("(?<=name=\"pow_salt\" value=\")[0-9a-f]{32}", from: page.body)),
            "pow_issued": try #require(extract("(?<=name=\"pow_issued\" value=\")[0-9]+", from: page.body)),
            "pow_signature": try #require(extract("(?<=name=\"pow_signature\" value=\")[0-9a-f]{64}", from: page.body)),
        ]
        site.clock.advance(10)
        // Too early (and that issued another challenge).
        #expect(try site.post("/api/holds", waited, json: true).status == 429)
        let again = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(3)], json: true)
        let latest = try #require(json(again)["challenge"] as? [String: Any])
        site.clock.advance(20)
        #expect(
            try site.post(
                "/api/holds",
                [
                    "service": "carta-identita", "slot": slot(3), "pow_salt": latest["salt"] as? String ?? "",
                    "pow_issued": "\((latest["issued"] as? NSNumber)?.int64Value ?? 0)",
                    "pow_signature": latest["signature"] as? String ?? "",
                ], json: true
            ).status == 201)
        // The same for a daily cap: a registration past the address's budget goes through with an answer.
        for index in 0..<5 {
            #expect(
                try site.post(
                    "/api/accounts",
                    [
                        "nome": "Pinco", "cognome": "Pallino", "codice_fiscale": Self.madeUpCodiceFiscale(40 + index),
                        "email": "r\(index)@example.it", "cellulare": "3471234\(500 + index)",
                    ], json: true
                ).status == 202)
        }
        let registration = [
            "nome": "Pinco", "cognome": "Pallino", "codice_fiscale": Self.madeUpCodiceFiscale(50),
            "email": "r9@example.it",
            "cellulare": "3471234599",
        ]
        let capped = try site.post("/api/accounts", registration, json: true)
        #expect(capped.status == 429 && json(capped)["error"] as? String == "daily_limit_reached")
        let proof = try solve(try #require(json(capped)["challenge"] as? [String: Any]))
        #expect(try site.post("/api/accounts", registration.merging(proof) { $1 }, json: true).status == 202)
    }

    /// Regression: `pow_issued=-9223372036854775808` made `now - issued` overflow and killed the process, with one
    /// request and no valid challenge (the bound was checked before the signature).
    @Test func anExtremeIssuedInstantIsNoAnswerAndNoCrash() throws {
        let site = try siteAtItsHoldCapWithProofOfWork()
        defer { site.stop() }
        for issued in ["-9223372036854775808", "9223372036854775807", "-1", "0"] {
            for nonce in ["", "1"] {
                let proof = [
                    "pow_salt": String(repeating: "a", count: 32), "pow_issued": issued,
                    "pow_signature": String(repeating: "0", count: 64),
                    "pow_nonce": nonce,
                ]
                let hold = try site.post(
                    "/api/holds", ["service": "carta-identita", "slot": slot(2)].merging(proof) { $1 }, json: true)
                #expect(hold.status == 429)
                let reset = try site.post(
                    "/api/credentials",
                    ["codice_fiscale": Self.madeUpCodiceFiscale(7), "contatto": "a@example.it"]
                        .merging(proof) { $1 }, json: true)
                #expect(
                    reset.status == 202
                        || (reset.status == 429 && json(reset)["error"] as? String == "daily_limit_reached"))
            }
        }
    }

    /// Regression: the per-minute request limit, the sign-in limit and the account lock counted each IPv6 address
    /// apart, so a client rotating addresses inside its /64 had no limit at all.
    @Test func perAddressRateLimitsCountAnIPv6ClientByItsSlash64() throws {
        let site = try site { $0.booking.requestsPerMinutePerAddress = 20 }
        defer { site.stop() }
        let requests = try (1...12).map { index in
            try site.post(
                "/api/holds", ["service": "nessuno"], json: true,
                headers: ["X-Forwarded-For": "2001:db8:77:1::\(String(index, radix: 16))"]
            ).status
        }
        #expect(requests.filter { $0 == 429 }.count == 2 && requests.prefix(10).allSatisfy { $0 == 404 }, "\(requests)")
        #expect(ClientKey.of("[2001:db8:77:1::99]") == ClientKey.of("2001:db8:77:1::1"))
        // Another /64 is another client.
        #expect(
            try site.post(
                "/api/holds", ["service": "nessuno"], json: true, headers: ["X-Forwarded-For": "2001:db8:77:2::1"]
            ).status == 404)
        let unlimited = try self.site { $0.booking.requestsPerMinutePerAddress = 0 }
        defer { unlimited.stop() }
        let signIns = try (1...12).map { index in
            try unlimited.post(
                "/api/login", ["codice_fiscale": Self.madeUpCodiceFiscale(3), "password": "Wrong12345"], json: true,
                headers: ["X-Forwarded-For": "2001:db8:78:1:\(index)::1"]
            ).status
        }
        #expect(signIns.filter { $0 == 429 }.count == 2, "\(signIns)")
    }

    @Test func withoutProofOfWorkNoChallengeIsOffered() throws {
        let site = try site()
        defer { site.stop() }
        for index in 0..<2 {
            _ = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(index)], json: true)
        }
        let refused = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(2)], json: true)
        #expect(refused.status == 429 && json(refused)["challenge"] == nil)
        let page = try site.post("/api/holds", ["service": "carta-identita", "slot": slot(2)])
        #expect(page.status == 429 && !page.body.contains("data-pow"))
    }

    @Test func theLimitsAreConfiguredWithSafeDefaults() throws {
        let demo = try FixtureComune.data()
        func parse(_ limits: Any) throws -> LimitSettings {
            var root = try #require(try JSONSerialization.jsonObject(with: demo) as? [String: Any])
            root["limits"] = limits
            return try SiteConfiguration.parse(try JSONSerialization.data(withJSONObject: root)).limits
        }
        let defaults = try SiteConfiguration.parse(demo).limits
        #expect(defaults == LimitSettings() && defaults.holdsPerClient == 2 && defaults.smsCountryCodes == ["39"])
        let set = try parse(["holdsPerClient": 0, "bookingsPerContactPerDay": 7, "smsCountryCodes": ["39", "41"]])
        #expect(
            set.holdsPerClient == 0 && set.bookingsPerContactPerDay == 7 && set.smsCountryCodes == ["39", "41"]
                && set.mailPerRecipientPerDay == 10)
        #expect(throws: ConfigurationError.self) { try parse(["holdsPerClinet": 1]) }
        #expect(throws: ConfigurationError.self) { try parse(["holdsPerClient": -1]) }
        #expect(throws: ConfigurationError.self) { try parse(["smsCountryCodes": ["+39"]]) }
        #expect(defaults.proofOfWork == nil)
        #expect(try parse(["proofOfWork": [:]]).proofOfWork == ProofOfWorkSettings())
        #expect(try parse(["proofOfWork": ["bits": 20, "waitSeconds": 60]]).proofOfWork?.bits == 20)
        #expect(throws: ConfigurationError.self) { try parse(["proofOfWork": ["bits": 40]]) }
    }

    @Test func addressesAreGroupedLikeSubscribers() {
        #expect(ClientKey.of("203.0.113.9") == "203.0.113.9")
        #expect(ClientKey.of("2001:db8:5:6::1") == "2001:0db8:0005:0006::/64")
        #expect(ClientKey.of("2001:DB8:5:6:ffff:1:2:3") == "2001:0db8:0005:0006::/64")
        #expect(ClientKey.of("::ffff:198.51.100.7") == "198.51.100.7")
        #expect(ClientKey.of("fe80::1%eth0") == "fe80:0000:0000:0000::/64")
        #expect(ClientKey.of("not:an:address") == "not:an:address")
        #expect(
            BookingController.contactKeys([
                " Mario@Example.IT ", "+39 333 123 4567", "", "--", "333 1234567", "0039 3331234567",
            ])
                == ["mario@example.it", "393331234567", "393331234567", "393331234567"])
    }
}
