import Foundation
import SportelloCore
import SportelloStore
import Testing

@testable import SportelloApp

/// The attacks of issue 14, each as it was tried from outside: a codice fiscale is computable, so typing one
/// proves nothing. Authority comes from what was proved: the account that made a booking, the contact its
/// password went to, a SPID/CIE identity.
@Suite(.serialized) struct IdentityProofTests {
    let now = rome("2026-11-25", "08:00")
    let slots = [
        rome("2026-11-26", "08:30"), rome("2026-11-26", "09:00"), rome("2026-11-26", "09:30"),
        rome("2026-11-26", "10:00"),
    ]
    /// The real holder of the codice fiscale, who books with the manual form.
    let anna = [
        "nome": "Anna", "cognome": "Bianchi", "codice_fiscale": "BNCLRA70A41H501B", "email": "anna@example.it",
        "cellulare": "3471234567",
    ]
    /// Someone who computed Anna's codice fiscale and registers it with their own contacts.
    let squatter = [
        "nome": "Anna", "cognome": "Bianchi", "codice_fiscale": "BNCLRA70A41H501B", "email": "intruso@example.net",
        "cellulare": "3209876543",
    ]
    let annaSPID = [
        "X-Identity-Fiscal-Number": "TINIT-BNCLRA70A41H501B", "X-Identity-Given-Name": "Anna",
        "X-Identity-Family-Name": "Bianchi",
        "X-Identity-Email": "anna@example.it", "X-Sportello-Proxy-Secret": IdentityHeaders.testProxy.proxySecret,
    ]

    /// Hold + confirm as an API client; returns the booking code (nil when refused) and the reply.
    func book(
        _ site: RunningSite, slot: Int64, person: [String: String], headers: [String: String] = [:]
    ) throws -> (String?, Reply) {
        let hold = try site.post(
            "/api/holds", ["service": "residenza", "slot": String(slot)], json: true, headers: headers)
        #expect(hold.status == 201)
        var fields = person
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        fields["hold"] = token
        let booked = try site.post("/api/bookings", fields, json: true, headers: headers)
        return (
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) },
            booked
        )
    }

    /// The recipients of the outbox's messages of `kind`, oldest first, each with one value of its payload
    /// (the password of credentials, the code of a one-time code).
    func sent(_ site: RunningSite, _ kind: String, value key: String) throws -> [(recipient: String, value: String)] {
        try site.store.database.read { connection in
            var rows: [(String, String)] = []
            try connection.forEach("SELECT recipient, payload FROM outbox WHERE kind = ? ORDER BY id", .text(kind)) {
                row in
                let object = (try? JSONSerialization.jsonObject(with: Data(row.text(1).utf8))) as? [String: Any]
                rows.append((row.text(0), object?[key] as? String ?? ""))
            }
            return rows
        }
    }

    /// The passwords wait in private files the outbox rows name (never in the database).
    func credentials(_ site: RunningSite) throws -> [(recipient: String, password: String)] {
        let secrets = SecretFiles(database: site.store.database)
        return try sent(site, "credentials", value: SecretFiles.payloadKey).map {
            ($0.recipient, secrets.read($0.value) ?? "")
        }
    }

    func signIn(
        _ site: RunningSite, _ codiceFiscale: String, _ password: String, from address: String = "203.0.113.1"
    ) throws -> [String: String] {
        let reply = try site.post(
            "/api/login", ["codice_fiscale": codiceFiscale, "password": password], headers: ["X-Forwarded-For": address]
        )
        #expect(reply.status == 200)
        let cookie = try #require(reply.headers["Set-Cookie"] as? String)
        return ["Cookie": String(cookie.prefix { $0 != ";" })]
    }

    @Test func anAccountRegisteredForSomeoneElsesCodiceFiscaleSeesNothingOfTheirs() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        // Anna books on the manual form, with a private note.
        var withNote = anna
        withNote["note"] = "Richiesta contributo affitto, ISEE 4.200"
        let (annaCode, annaReply) = try book(site, slot: slots[0], person: withNote)
        let code = try #require(annaCode, "\(annaReply.body)")

        // The squatter registers her codice fiscale: the password goes to one contact only (theirs, the mail).
        #expect(try site.post("/api/accounts", squatter).status == 202)
        let sent = try credentials(site)
        #expect(sent.count == 1 && sent.first?.recipient == "intruso@example.net")
        // Anna is told at the contacts of her booking that an account now exists with her codice fiscale.
        let warnings = try Outbox(database: site.store.database).list().filter { $0.kind == .accountCreated }.map(
            \.recipient
        ).sorted()
        #expect(warnings == ["+393471234567", "anna@example.it"])
        let composer = site.application.notifier.composer
        for message in try Outbox(database: site.store.database).list() where message.kind == .accountCreated {
            let text =
                message.channel == .email
                ? try composer.mail(for: message, booking: nil, now: now).text
                : try composer.sms(for: message, booking: nil)
            #expect(text.contains("BNCLRA70A41H501B") && text.contains("SPID"))
        }

        let session = try signIn(site, "BNCLRA70A41H501B", try #require(sent.first?.password))
        // Le mie prenotazioni: nothing of Anna's, not her code, not her note.
        let mine = try site.post("/api/my-bookings", [:], headers: session)
        #expect(mine.status == 200 && !mine.body.contains(code) && !mine.body.contains("ISEE"))
        let mineJSON = try site.post("/api/my-bookings", [:], json: true, headers: session)
        #expect(mineJSON.body.contains("\"bookings\":[]"))
        // Receipt and cancel with the session: "not found", and the booking stays.
        let receipt = try site.post("/api/receipts", ["code": code], headers: session)
        #expect(receipt.status == 404 && !receipt.body.contains("ISEE"))
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": code, "confirm": "1"], headers: session).status == 404)
        #expect(try site.store.booking(code: code)?.state == .booked)

        // What the account makes itself is its own: listed, receipted, cancellable.
        let (ownCode, _) = try book(site, slot: slots[1], person: squatter, headers: session)
        let own = try #require(ownCode)
        #expect(try site.store.booking(code: own)?.accountID != nil)
        #expect(try site.post("/api/my-bookings", [:], headers: session).body.contains(own))
        #expect(try site.post("/api/receipts", ["code": own], headers: session).status == 200)
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": own, "confirm": "1"], headers: session).status == 200)

        // Code + codice fiscale still works for the booking's own receipt and cancellation.
        #expect(try site.post("/api/receipts", ["code": code, "codice_fiscale": "BNCLRA70A41H501B"]).status == 200)
    }

    @Test func theVerifiedContactAndTheCertifiedPersonReachBookingsForThem() throws {
        let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
        defer { site.stop() }
        let (manual, _) = try book(site, slot: slots[0], person: anna)
        let code = try #require(manual)
        // Anna registers with the same email she booked with: her password went there, so the booking is hers.
        #expect(try site.post("/api/accounts", anna).status == 202)
        let session = try signIn(site, "BNCLRA70A41H501B", try #require(try credentials(site).first?.password))
        #expect(try site.post("/api/my-bookings", [:], headers: session).body.contains(code))
        // With SPID she sees it too, whoever made it.
        #expect(try site.post("/api/my-bookings", [:], headers: annaSPID).body.contains(code))
        #expect(try site.post("/api/receipts", ["code": code], headers: annaSPID).status == 200)
    }

    @Test func aStrangerCannotLockTheOwnerOut() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        #expect(try site.post("/api/accounts", anna).status == 202)
        let password = try #require(try credentials(site).first?.password)
        // Five wrong passwords from a stranger's address lock the account there…
        for _ in 0..<4 {
            #expect(
                try site.post(
                    "/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": "sbagliata"],
                    headers: ["X-Forwarded-For": "198.51.100.66"]
                ).status == 401)
        }
        let locked = try site.post(
            "/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": "sbagliata"],
            headers: ["X-Forwarded-For": "198.51.100.66"])
        #expect(locked.status == 429)
        #expect(
            try site.post(
                "/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": password],
                headers: ["X-Forwarded-For": "198.51.100.66"]
            ).status == 429)
        // …and only there: the owner, from her own address, signs in with the right password.
        _ = try signIn(site, "BNCLRA70A41H501B", password, from: "203.0.113.9")
    }

    @Test func aCertifiedSignInTakesOverALocalAccountAndLocalAccountsCanBeOff() throws {
        do {
            let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
            defer { site.stop() }
            #expect(try site.post("/api/accounts", squatter).status == 202)
            let password = try #require(try credentials(site).first?.password)
            let session = try signIn(site, "BNCLRA70A41H501B", password)
            // Anna signs in with SPID: the account registered with her codice fiscale stops working at once.
            #expect(try site.post("/api/my-bookings", [:], headers: annaSPID).status == 200)
            #expect(try site.post("/api/my-bookings", [:], headers: session).status == 401)
            #expect(
                try site.post("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": password]).status == 401)
            // A new reset sends nothing to the squatter.
            _ = try site.post(
                "/api/credentials", ["codice_fiscale": "BNCLRA70A41H501B", "contatto": "intruso@example.net"])
            #expect(try credentials(site).count == 1)
            let audit = try site.store.database.read {
                try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE action = 'account.takeover'")
            }
            #expect(audit == 1)
        }
        do {
            let site = try RunningSite(
                now: now,
                configure: {
                    var identity = IdentityHeaders.testProxy
                    identity.localAccounts = false
                    $0.identity = identity
                })
            defer { site.stop() }
            for (path, form) in [
                ("/api/accounts", anna), ("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": "x"]),
                ("/api/credentials", ["codice_fiscale": "BNCLRA70A41H501B", "contatto": "anna@example.it"]),
            ] {
                let reply = try site.post(path, form, json: true)
                #expect(reply.status == 403 && reply.body.contains("local_accounts_off") && reply.body.contains("SPID"))
            }
            #expect(try credentials(site).isEmpty)
        }
    }

    @Test func codeAndCodiceFiscaleGuessesAreLimitedPerCodeAndPerAddress() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (booked, _) = try book(site, slot: slots[0], person: anna)
        let code = try #require(booked)
        // Many addresses guessing the codice fiscale of one code: after ten wrong ones the code rests…
        var statuses: [Int] = []
        for index in 0..<11 {
            statuses.append(
                try site.post(
                    "/api/cancellations", ["code": code, "codice_fiscale": "RSSMRA85T10A562S"],
                    headers: ["X-Forwarded-For": "198.51.100.\(index + 1)"]
                ).status)
        }
        #expect(statuses.prefix(10).allSatisfy { $0 == 404 } && statuses.last == 429)
        // …even with the right codice fiscale, so a guess cannot be confirmed by trying on.
        #expect(try site.post("/api/receipts", ["code": code, "codice_fiscale": "BNCLRA70A41H501B"]).status == 429)
        #expect(try site.store.booking(code: code)?.state == .booked)
        // One address guessing many codes is stopped too; another address is not.
        var fromOne: [Int] = []
        for index in 0..<11 {
            fromOne.append(
                try site.post(
                    "/api/receipts", ["code": "ZZZZZZ\(index + 20)", "codice_fiscale": "BNCLRA70A41H501B"],
                    headers: ["X-Forwarded-For": "192.0.2.50"]
                ).status)
        }
        #expect(fromOne.prefix(10).allSatisfy { $0 == 404 } && fromOne.last == 429)
        #expect(
            try site.post(
                "/api/receipts", ["code": "ZZZZZZ99", "codice_fiscale": "BNCLRA70A41H501B"],
                headers: ["X-Forwarded-For": "192.0.2.51"]
            ).status == 404)
    }

    @Test func bookingsAStrangerMadeInSomeonesNameDoNotBlockTheirCertifiedBooking() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.identity = IdentityHeaders.testProxy
                $0.booking.maxActiveBookingsPerPerson = 2
            })
        defer { site.stop() }
        // Two bookings by a stranger in Anna's name, with the stranger's contacts.
        #expect(try book(site, slot: slots[0], person: squatter).0 != nil)
        #expect(try book(site, slot: slots[1], person: squatter).0 != nil)
        // Without proof the codice fiscale is the only key: a third is refused…
        #expect(try book(site, slot: slots[2], person: squatter).1.body.contains("person_limit_reached"))
        // …but Anna, certified by SPID, books: only bookings her proof reaches count.
        let (certified, reply) = try book(site, slot: slots[3], person: anna, headers: annaSPID)
        #expect(certified != nil, "\(reply.body)")
        #expect(try site.store.booking(code: try #require(certified))?.proof == .certified)
    }

    @Test func noShowsOfAStrangerInSomeonesNameDoNotBarTheirCertifiedBooking() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.identity = IdentityHeaders.testProxy
                $0.booking.noShowPolicy = NoShowPolicy(absences: 1, withinDays: 90, blockDays: 30)
            })
        defer { site.stop() }
        // A stranger books in Anna's name and does not turn up.
        let (booked, _) = try book(site, slot: slots[0], person: squatter)
        let code = try #require(booked)
        site.clock.advance(slots[0] + 600 - now)
        _ = try site.store.recordOutcome(
            code: code, outcome: .absent, now: slots[0] + 600, actor: "operator:test", address: ""
        ).value
        let later = slots[0] + 86_400
        site.clock.advance(later - (slots[0] + 600))
        // Without proof the codice fiscale is barred, as before…
        #expect(try book(site, slot: rome("2026-11-27", "11:00"), person: squatter).1.body.contains("no_show_blocked"))
        // …but Anna, certified, is not: the stranger's absence is not hers.
        let (certified, reply) = try book(site, slot: rome("2026-11-27", "11:30"), person: anna, headers: annaSPID)
        #expect(certified != nil, "\(reply.body)")
    }

    @Test func retentionErasesUnusedAccountsAndCodiciFiscaliInOldAuditRows() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        #expect(try site.post("/api/accounts", squatter).status == 202)
        _ = try signIn(site, "BNCLRA70A41H501B", try #require(try credentials(site).first?.password))
        // A year and more later, nobody has used the account.
        let later = now + Int64(site.application.configuration.privacy.retentionDays + 2) * 86_400
        site.clock.advance(later - now)
        let report = try site.store.purge(
            before: later - Int64(site.application.configuration.privacy.retentionDays) * 86_400, now: later,
            actor: "retention")
        #expect(report.accountsErased == 1)
        #expect(try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM accounts") } == 0)
        #expect(
            try site.store.database.read {
                try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE subject LIKE '%BNCLRA70A41H501B%'")
            } == 0)
        // The file itself (and its write-ahead log) no longer holds the codice fiscale or the contact.
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "\(site.folder)/db.sqlite\(suffix)"))) ?? Data()
            #expect(bytes.range(of: Data("BNCLRA70A41H501B".utf8)) == nil)
            #expect(bytes.range(of: Data("intruso@example.net".utf8)) == nil)
        }
    }

    func contactCodes(_ site: RunningSite) throws -> [(recipient: String, code: String)] {
        try sent(site, "contactCode", value: "code").map { ($0.recipient, $0.value) }
    }

    /// Regression: contact codes were queued outside the per-recipient caps and the SMS countries, and switching
    /// the contact on one hold skips the resend cool-down, so one client could mail a victim a code a request.
    @Test func contactCodesKeepToThePerRecipientCaps() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.booking.verifyContact = true
                $0.limits = LimitSettings()
                $0.limits.holdsPerClient = 0
                $0.limits.mailPerRecipientPerDay = 2
            })
        defer { site.stop() }
        // Switching the contact back and forth on one hold: the new code waits for the cool-down, so one code.
        let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])])
        let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
        for round in 0..<15 {
            for email in ["victim@example.it", "other\(round)@example.it"] {
                var fields = anna
                fields["hold"] = hold
                fields["email"] = email
                #expect(try site.post("/api/review", fields).status == 200)
            }
        }
        #expect(try contactCodes(site).filter { $0.recipient == "victim@example.it" }.count == 1)
        // A code per hold, over several holds: the recipient's daily cap stops them.
        for slot in slots.dropFirst() {
            let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slot)])
            let token: String = try #require(extract("[0-9a-f]{32}", from: form.body))
            var fields = anna
            fields["hold"] = token
            fields["email"] = "victim@example.it"
            #expect(try site.post("/api/review", fields).status == 200)
        }
        let victim = try contactCodes(site).filter { $0.recipient == "victim@example.it" }.count
        #expect(victim == 2, "\(victim) codes to one address")
    }

    @Test func aBookingWithoutSPIDIsConfirmedOnlyWithTheCodeSentToItsContact() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.booking.verifyContact = true
                $0.booking.maxActiveBookingsPerPerson = 2
            })
        defer { site.stop() }
        let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])])
        let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
        var fields = anna
        fields["hold"] = hold
        // The summary asks for the code just sent to the email given (a plain form, no script needed).
        let summary = try site.post("/api/review", fields)
        #expect(
            summary.status == 200 && summary.body.contains("name=\"verification_code\"")
                && summary.body.contains("anna@example.it"))
        #expect(try contactCodes(site).map(\.recipient) == ["anna@example.it"])
        // Showing the summary again sends nothing new; a new code only after the cool-down.
        _ = try site.post("/api/review", fields)
        let early = try site.post("/api/review", fields.merging(["resend": "1"]) { $1 })
        let stillOne = try contactCodes(site).count
        #expect(early.body.contains("Potrai chiederne un altro tra") && stillOne == 1)
        let first = try #require(try contactCodes(site).first?.code)
        site.clock.advance(ContactCodeStore.resendSeconds)
        _ = try site.post("/api/review", fields.merging(["resend": "1"]) { $1 })
        let codes = try contactCodes(site)
        #expect(codes.count == 2)
        let second = try #require(codes.last?.code)
        let sentMail = try #require(try Outbox(database: site.store.database).list().first { $0.kind == .contactCode })
        let mail = try site.application.notifier.composer.mail(for: sentMail, booking: nil, now: now)
        #expect(mail.subject.contains("Codice di verifica") && [first, second].contains { mail.text.contains($0) })

        // No code, or the old one: not confirmed, the summary again with the error.
        let missing = try site.post("/api/bookings", fields)
        #expect(missing.status == 422 && missing.body.contains("Il codice non è corretto"))
        if first != second {
            #expect(
                try site.post("/api/bookings", fields.merging(["verification_code": first]) { $1 }, json: true).body
                    .contains("verification_failed"))
        }
        let booked = try site.post("/api/bookings", fields.merging(["verification_code": second]) { $1 }, json: true)
        #expect(booked.status == 201)
        let code = try #require(
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
        #expect(try site.store.booking(code: code)?.proof == .contact("anna@example.it"))

        // Wrong codes, again and again: the hold is given back.
        let other = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[1])], json: true)
        var guess = anna
        let otherToken = try #require(extract("[0-9a-f]{32}", from: other.body))
        guess["hold"] = otherToken
        _ = try site.post("/api/review", guess, json: true)
        var statuses: [Int] = []
        for attempt in 0..<ContactCodeStore.maximumAttempts {
            statuses.append(
                try site.post(
                    "/api/bookings", guess.merging(["verification_code": String(format: "%06d", attempt)]) { $1 },
                    json: true
                ).status)
        }
        #expect(statuses.prefix(ContactCodeStore.maximumAttempts - 1).allSatisfy { $0 == 422 })
        #expect(statuses.last == 410)
        #expect(try site.store.hold(token: guess["hold"] ?? "")?.released == true)

        // Invented codici fiscali do not get round the per-person limit: the verified contact counts.
        var invented = anna
        for (index, codiceFiscale) in ["RSSMRA85T10A562S", "VRDGPP80A01H501U"].enumerated() {
            invented["codice_fiscale"] = codiceFiscale
            let held = try site.post(
                "/api/holds", ["service": "residenza", "slot": String(slots[2 + index])], json: true)
            let heldToken = try #require(extract("[0-9a-f]{32}", from: held.body))
            invented["hold"] = heldToken
            _ = try site.post("/api/review", invented, json: true)
            let sent = try #require(try contactCodes(site).last?.code)
            let reply = try site.post("/api/bookings", invented.merging(["verification_code": sent]) { $1 }, json: true)
            // Anna's contact already has one booking: the second is allowed, the third is not.
            #expect(reply.status == (index == 0 ? 201 : 409), "\(reply.body)")
        }
    }

    @Test func spidAndCIEButtonsLeadToTheGatewayAndBackToTheSameStep() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                var identity = IdentityHeaders.testProxy
                identity.spidLoginURL = "/auth/spid/login"
                identity.cieLoginURL = "https://gateway.example.it/cie?target={return}"
                $0.identity = identity
            })
        defer { site.stop() }
        // /accesso/: both buttons, text and icon, plain links (keyboard reachable, no script).
        let account = site.file("accesso/index.html")
        // They come back to "Le mie prenotazioni" (tried from outside: back on the static /accesso/, the citizen saw
        // no sign of the sign-in, and the same buttons sent them round again).
        #expect(account.contains("href=\"/auth/spid/login?return=%2Fapi%2Fmy-bookings%3Flang%3Dit\""))
        // A gateway on another host gets the whole address to come back to: a bare path would be read against the
        // gateway's own host.
        #expect(
            account.contains(
                "href=\"https://gateway.example.it/cie?target=http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fmy-bookings%3Flang%3Dit\""
            ))
        #expect(
            site.file("en/accesso/index.html").contains(
                "href=\"/auth/spid/login?return=%2Fapi%2Fmy-bookings%3Flang%3Den\""))
        let (code, _) = try book(site, slot: slots[1], person: anna, headers: annaSPID)
        let booked = try #require(code)
        let mine = try site.request("GET", "/api/my-bookings?lang=en", headers: annaSPID)
        #expect(mine.status == 200 && mine.body.contains(booked) && mine.body.contains("lang=\"en\""))
        #expect(try site.request("GET", "/api/my-bookings?lang=it").status == 401)
        #expect(
            account.contains("Entra con SPID") && account.contains("Entra con CIE")
                && account.contains("<svg class=\"identity-icon\" aria-hidden=\"true\""))
        #expect(!account.contains("accedi dal portale del Comune"))
        // The hold's form, not signed in: the same buttons, coming back to this very hold.
        let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])])
        let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
        #expect(form.body.contains("/auth/spid/login?return=%2Fapi%2Fholds%2Fresume%3Fhold%3D\(hold)%26lang%3Dit"))
        #expect(
            form.body.contains(
                "https://gateway.example.it/cie?target=http%3A%2F%2F127.0.0.1%3A8080%2Fapi%2Fholds%2Fresume%3Fhold%3D\(hold)%26lang%3Dit"
            ))
        // Back from the gateway (a GET with the certified identity): the form, prefilled and locked.
        let back = try site.request("GET", "/api/holds/resume?hold=\(hold)&lang=it", headers: annaSPID)
        #expect(back.status == 200 && back.body.contains("value=\"Anna\" autocomplete=\"given-name\" readonly"))
        #expect(
            back.body.contains("value=\"BNCLRA70A41H501B\" autocomplete=\"off\" readonly")
                && !back.body.contains("Entra con SPID"))
        #expect(try site.request("GET", "/api/holds/resume?hold=0123", headers: annaSPID).status == 404)
        // Other GETs under /api/ are still refused.
        #expect(try site.request("GET", "/api/bookings").status == 405)
    }

    @Test func withoutLocalAccountsTheSignInPageOffersOnlySPIDAndCIE() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                var identity = IdentityHeaders.testProxy
                identity.localAccounts = false
                identity.spidLoginURL = "/auth/spid/login"
                $0.identity = identity
            })
        defer { site.stop() }
        let account = site.file("accesso/index.html")
        #expect(
            account.contains("Entra con SPID") && !account.contains("Entra con CIE")
                && !account.contains("login-password"))
        #expect(!account.contains("reg-cf"))
    }

    @Test func contoTerziIsChosenBeforeTheSlotAndBothPeopleAreTold() throws {
        let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
        defer { site.stop() }
        // The service page offers it before any slot.
        let files = FileManager.default.enumerator(atPath: "\(site.folder)/output")?.compactMap { $0 as? String } ?? []
        let servicePages = files.filter { $0.hasSuffix(".html") && site.file($0).contains("id=\"for-other-cf\"") }
        #expect(
            servicePages.contains {
                site.file($0).contains("<input type=\"hidden\" name=\"service\" value=\"residenza\">")
            })
        #expect(servicePages.allSatisfy { site.file($0).contains("action=\"/api/beneficiary\"") })
        #expect(
            site.file("index.html").contains("<option value=\"residenza\">")
                && site.file("index.html").contains("id=\"for-other-cf\""))
        // It needs a signed-in presenter.
        #expect(
            try site.post("/api/beneficiary", ["service": "residenza", "beneficiary": "RSSMRA85T10A562S"]).status == 401
        )
        #expect(try site.post("/api/accounts", anna).status == 202)
        let session = try signIn(site, "BNCLRA70A41H501B", try #require(try credentials(site).first?.password))
        // The codice fiscale is checked at once, with the reason.
        let wrong = try site.post(
            "/api/beneficiary", ["service": "residenza", "beneficiary": "RSSMRA85T10A562X"], headers: session)
        #expect(wrong.status == 422 && wrong.body.contains("codice fiscale non è corretto"))
        let chosen = try site.post(
            "/api/beneficiary", ["service": "residenza", "beneficiary": "rssmra85t10a562s"], headers: session)
        #expect(chosen.status == 303)
        let cookie = try #require((chosen.headers["Set-Cookie"] as? String).map { String($0.prefix { $0 != ";" }) })
        #expect(cookie == "sportello_beneficiary=RSSMRA85T10A562S")
        // The hold's form then starts bound to Mario, with the right hints.
        let both = ["Cookie": "\(session["Cookie"] ?? ""); \(cookie)"]
        let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])], headers: both)
        #expect(
            form.body.contains("per conto di")
                && form.body.contains("value=\"RSSMRA85T10A562S\" autocomplete=\"off\" readonly"))
        #expect(
            form.body.contains("Codice fiscale della persona per cui prenoti:")
                && !form.body.contains("Dato del tuo account"))
        let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
        let booked = try site.post(
            "/api/bookings",
            [
                "hold": hold, "beneficiary": "RSSMRA85T10A562S", "nome": "Mario", "cognome": "Rossi",
                "email": "mario@example.it", "cellulare": "3331234567",
            ], json: true, headers: both)
        #expect(booked.status == 201)
        let code = try #require(
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
        #expect(try site.store.booking(code: code)?.person.presenterCodiceFiscale == "BNCLRA70A41H501B")
        // Both people are told: Mario at his contact, Anna (the presenter) a copy at hers; the same when cancelled.
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": code, "confirm": "1"], headers: session).status == 200)
        let sent = try Outbox(database: site.store.database).list().filter { $0.bookingID != nil }.map {
            "\($0.kind) \($0.recipient)"
        }.sorted()
        #expect(
            sent == [
                "cancelled anna@example.it", "cancelled mario@example.it", "confirmed anna@example.it",
                "confirmed mario@example.it",
            ])
    }

    @Test func aCertifiedPersonCannotOverrideTheirNamesByNamingThemselvesAsBeneficiary() throws {
        let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
        defer { site.stop() }
        let hold = try site.post(
            "/api/holds", ["service": "residenza", "slot": String(slots[0])], json: true, headers: annaSPID)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        let booked = try site.post(
            "/api/bookings",
            [
                "hold": token, "beneficiary": "bnclra70a41h501b", "nome": "Luisa", "cognome": "Verdi",
                "email": "anna@example.it", "cellulare": "3471234567",
            ], json: true, headers: annaSPID)
        #expect(booked.status == 201)
        let code = try #require(
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
        let booking = try #require(try site.store.booking(code: code))
        #expect(
            booking.person.givenName == "Anna" && booking.person.familyName == "Bianchi"
                && booking.person.presenterCodiceFiscale == nil)
        #expect(booking.proof == .certified)
    }

    /// Tried from outside: alternating the email between a stranger's and one's own on "Continua" sent a new
    /// code at every step (the cool-down held only for the same contact), and codes escaped the daily cap per
    /// recipient that every other message obeys: anyone could flood someone's mailbox from the summary step.
    @Test func switchingContactsDoesNotFloodSomeoneWithCodes() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.booking.verifyContact = true
                $0.limits.mailPerRecipientPerDay = 3
            })
        defer { site.stop() }
        func review(_ token: String, email: String, resend: Bool = false) throws -> Reply {
            var fields = anna
            fields["hold"] = token
            fields["email"] = email
            if resend { fields["resend"] = "1" }
            return try site.post("/api/review", fields, headers: ["X-Forwarded-For": "203.0.113.7"])
        }
        let held = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])], json: true)
        let token = try #require(extract("[0-9a-f]{32}", from: held.body))
        for step in 0..<6 {
            _ = try review(token, email: step.isMultiple(of: 2) ? "victim@example.org" : "other\(step)@example.org")
        }
        #expect(try contactCodes(site).map(\.recipient) == ["victim@example.org"])
        // The citizen who corrected a typo is told when the code for the new address can go, and then gets it.
        let corrected = try review(token, email: "anna@example.it")
        #expect(
            corrected.body.contains("appena stato inviato a un altro recapito")
                && corrected.body.contains("anna@example.it"))
        var correctedFields = anna
        correctedFields["hold"] = token
        let correctedJSON = try site.post(
            "/api/review", correctedFields, json: true, headers: ["X-Forwarded-For": "203.0.113.7"])
        #expect(correctedJSON.body.contains("\"sentTo\":\"\"") && correctedJSON.body.contains("\"retryAfter\":"))
        site.clock.advance(ContactCodeStore.resendSeconds)
        _ = try review(token, email: "anna@example.it", resend: true)
        #expect(try contactCodes(site).map(\.recipient) == ["victim@example.org", "anna@example.it"])
        // Past the daily cap for a recipient no further code is queued for it, whatever the holds.
        for _ in 0..<4 {
            site.clock.advance(ContactCodeStore.resendSeconds)
            _ = try review(token, email: "victim@example.org", resend: true)
        }
        #expect(try contactCodes(site).filter { $0.recipient == "victim@example.org" }.count == 3)
    }

    /// A SPID identity may come with a mobile and no email (the gateway passes what the identity provider
    /// releases): booking for someone else, such a presenter got no copy, although the form promised one.
    @Test func aPresenterCertifiedWithOnlyAMobileGetsTheCopyBySMS() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.identity = IdentityHeaders.testProxy
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        var mobileOnly = annaSPID
        mobileOnly["X-Identity-Email"] = nil
        mobileOnly["X-Identity-Mobile"] = "347 123 4567"
        let (code, reply) = try book(
            site, slot: slots[0],
            person: [
                "beneficiary": "RSSMRA85T10A562S", "nome": "Mario", "cognome": "Rossi",
                "email": "mario@example.it", "cellulare": "3331234567",
            ], headers: mobileOnly)
        let booked = try #require(code, "\(reply.body)")
        #expect(try site.store.booking(code: booked)?.person.presenterContact == "+393471234567")
        let sent = try Outbox(database: site.store.database).list().filter { $0.kind == .confirmed }.map {
            "\($0.channel) \($0.recipient)"
        }.sorted()
        #expect(sent == ["email mario@example.it", "sms +393331234567", "sms +393471234567"])
    }

    /// Tried from outside: someone registered Anna's codice fiscale before she ever booked (so nobody was warned);
    /// her own registration then got the usual "you will receive the password" and nothing ever arrived. Now the
    /// contact she gave is told that an account exists and what to do; no password, no second account.
    @Test func registeringAClaimedCodiceFiscaleTellsTheContactWhatToDo() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        #expect(try site.post("/api/accounts", squatter).status == 202)
        let again = try site.post("/api/accounts", anna)
        #expect(again.status == 202)
        #expect(try credentials(site).map(\.recipient) == ["intruso@example.net"])
        let told = try Outbox(database: site.store.database).list().filter { $0.kind == .accountExists }
        #expect(told.map(\.recipient) == ["anna@example.it"])
        let message = try #require(told.first)
        let mail = try site.application.notifier.composer.mail(for: message, booking: nil, now: now)
        #expect(
            mail.text.contains("BNCLRA70A41H501B") && mail.text.contains("Credenziali dimenticate")
                && mail.text.contains("SPID o CIE"))
        #expect(!mail.text.contains("{") && (mail.html ?? "").contains("<strong>"))
        #expect(try site.application.notifier.composer.sms(for: message, booking: nil).contains("BNCLRA70A41H501B"))
        let count = try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM accounts") }
        #expect(count == 1)
    }

    /// Before: "Invia" pressed before the mail arrived (an empty code) used up one of the five
    /// attempts, so a few impatient clicks gave the hold back; and a wrong code was said only next to the
    /// field, below the fold, with nothing announced at the top as the form's other errors are.
    @Test func anEmptyCodeIsNoGuessAndAWrongOneIsAnnouncedAtTheTop() throws {
        let site = try RunningSite(now: now, configure: { $0.booking.verifyContact = true })
        defer { site.stop() }
        let held = try site.post("/api/holds", ["service": "residenza", "slot": String(slots[0])], json: true)
        var fields = anna
        let token = try #require(extract("[0-9a-f]{32}", from: held.body))
        fields["hold"] = token
        _ = try site.post("/api/review", fields)
        for _ in 0..<(ContactCodeStore.maximumAttempts + 2) {
            #expect(try site.post("/api/bookings", fields).status == 422)
        }
        #expect(try site.store.hold(token: token)?.released == false)
        let wrong = try site.post("/api/bookings", fields.merging(["verification_code": "000000"]) { $1 })
        let top = try #require(wrong.body.range(of: "<div class=\"error-summary\" role=\"alert\""))
        let field = try #require(wrong.body.range(of: "id=\"field-verification_code\""))
        #expect(
            wrong.status == 422 && top.lowerBound < field.lowerBound
                && wrong.body.contains("<a href=\"#field-verification_code\">"))
        let code = try #require(try contactCodes(site).last?.code)
        #expect(
            try site.post("/api/bookings", fields.merging(["verification_code": code]) { $1 }, json: true).status == 201
        )
    }

    /// Before: Anna booked for her father through her own local account, then signed in with SPID: the account
    /// was taken over and the booking she presented vanished from her list (only bookings presented without a
    /// local account counted). The account's copies went to her certified email: it was hers. A squatter's
    /// account, whose copies went elsewhere, still shows her nothing of what it presented.
    @Test func aCertifiedPersonKeepsWhatTheirOwnLocalAccountPresentedForOthers() throws {
        let site = try RunningSite(now: now, configure: { $0.identity = IdentityHeaders.testProxy })
        defer { site.stop() }
        let father = [
            "beneficiary": "RSSMRA85T10A562S", "nome": "Mario", "cognome": "Rossi", "email": "mario@example.it",
            "cellulare": "3331234567",
        ]
        #expect(try site.post("/api/accounts", anna).status == 202)
        let own = try signIn(site, "BNCLRA70A41H501B", try #require(try credentials(site).first?.password))
        let (presented, reply) = try book(site, slot: slots[0], person: father, headers: own)
        let code = try #require(presented, "\(reply.body)")
        // SPID: the account is taken over; what it presented for her father is still hers to see, receipt, cancel.
        let list = try site.post("/api/my-bookings", [:], headers: annaSPID)
        #expect(list.status == 200 && list.body.contains(code))
        #expect(try site.post("/api/receipts", ["code": code], headers: annaSPID).status == 200)
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": code, "confirm": "1"], headers: annaSPID).status == 200)

        // Someone else's account for Luisa's codice fiscale presents a booking: certified Luisa does not get it.
        let luisa = [
            "nome": "Luisa", "cognome": "Verdi", "codice_fiscale": "VRDLSU80A41H501R", "email": "intruso@example.net",
            "cellulare": "3209876543",
        ]
        #expect(try site.post("/api/accounts", luisa).status == 202)
        let squatted = try signIn(
            site, "VRDLSU80A41H501R", try #require(try credentials(site).last?.password), from: "203.0.113.2")
        let (other, otherReply) = try book(site, slot: slots[1], person: father, headers: squatted)
        let otherCode = try #require(other, "\(otherReply.body)")
        let luisaSPID = [
            "X-Identity-Fiscal-Number": "VRDLSU80A41H501R", "X-Identity-Given-Name": "Luisa",
            "X-Identity-Family-Name": "Verdi",
            "X-Identity-Email": "luisa@example.it", "X-Sportello-Proxy-Secret": IdentityHeaders.testProxy.proxySecret,
        ]
        #expect(!(try site.post("/api/my-bookings", [:], headers: luisaSPID).body.contains(otherCode)))
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": otherCode, "confirm": "1"], headers: luisaSPID).status
                == 404)
    }
}
