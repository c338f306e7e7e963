import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloApp

/// Citizens' identity over real HTTP: registration, credentials, sessions, SPID/CIE headers, "le mie
/// prenotazioni" and booking for someone else.
@Suite(.serialized) struct AccountTests {
    let now = rome("2026-11-25", "08:00")
    let thursday0830 = rome("2026-11-26", "08:30")
    let thursday0900 = rome("2026-11-26", "09:00")
    let thursday0930 = rome("2026-11-26", "09:30")
    let anna = [
        "nome": "Anna", "cognome": "Bianchi", "codice_fiscale": "BNCLRA70A41H501B", "email": "anna@example.it",
        "cellulare": "3471234567",
    ]
    let mario = [
        "nome": "Mario", "cognome": "Rossi", "codice_fiscale": "RSSMRA85T10A562S", "email": "mario@example.it",
        "cellulare": "3331234567",
    ]

    /// The password the outbox holds for a codice fiscale (what the SMS and the mail will carry).
    func password(_ site: RunningSite, _ codiceFiscale: String) throws -> String {
        let payload = try site.store.database.read { connection in
            try connection.first(
                "SELECT payload FROM outbox WHERE kind = 'credentials' AND payload LIKE ? ORDER BY id DESC",
                .text("%\(codiceFiscale)%")
            ) { $0.text(0) }
        }
        let text = try #require(payload)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let file = try #require(object[SecretFiles.payloadKey] as? String)
        #expect(object["password"] == nil)
        return try #require(SecretFiles(database: site.store.database).read(file))
    }

    func register(_ site: RunningSite, _ person: [String: String]) throws -> String {
        let reply = try site.post("/api/accounts", person)
        #expect(reply.status == 202)
        return try password(site, person["codice_fiscale"] ?? "")
    }

    /// Signs in; returns the Cookie header to send afterwards.
    func signIn(_ site: RunningSite, _ codiceFiscale: String, _ password: String) throws -> [String: String] {
        let reply = try site.post("/api/login", ["codice_fiscale": codiceFiscale, "password": password])
        #expect(reply.status == 200)
        let cookie = try #require(reply.headers["Set-Cookie"] as? String)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age="))
        return ["Cookie": String(cookie.prefix { $0 != ";" })]
    }

    /// Hold, form, riepilogo, confirmation: the browser's path, with the given headers (session or identity).
    func book(
        _ site: RunningSite, slot: Int64, headers: [String: String], beneficiary: String? = nil,
        person: [String: String]
    ) throws -> Reply {
        let form = try site.post("/api/holds", ["service": "residenza", "slot": String(slot)], headers: headers)
        #expect(form.status == 200)
        let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
        var fields = person
        fields["hold"] = hold
        if let beneficiary {
            let page = try site.post("/api/holds/for", ["hold": hold, "beneficiary": beneficiary], headers: headers)
            #expect(
                page.status == 200 && page.body.contains("per conto di")
                    && page.body.contains("value=\"\(beneficiary)\" autocomplete=\"off\" readonly"))
            fields["beneficiary"] = beneficiary
        }
        let summary = try site.post("/api/review", fields, headers: headers)
        // The per-person limit is told at the review, as soon as the person is known, not only at "Invia".
        if summary.status == 409 { return summary }
        #expect(summary.status == 200)
        return try site.post("/api/bookings", fields, headers: headers)
    }

    @Test func registrationCredentialsAndSessions() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        // An invalid codice fiscale is refused with the field named.
        var wrong = anna
        wrong["codice_fiscale"] = "BNCLRA70A41H501C"
        let refused = try site.post("/api/accounts", wrong, json: true)
        #expect(refused.status == 422 && refused.body.contains("\"codice_fiscale\""))

        let first = try site.post("/api/accounts", anna)
        let secret = try password(site, anna["codice_fiscale"] ?? "")
        #expect(secret.count == 10 && secret.contains(where: \.isUppercase) && secret.contains(where: \.isLowercase))
        let rows = try site.store.database.read {
            try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE kind = 'credentials'")
        }
        #expect(rows == 1)  // the mail only: signing in with the password then proves that contact
        // Registering again: the same answer, nothing sent, the password unchanged.
        let again = try site.post("/api/accounts", anna)
        #expect(again.status == first.status && again.body == first.body)
        #expect(
            try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE kind = 'credentials'") }
                == 1)
        let stored = try site.store.database.read { try $0.first("SELECT password_hash FROM accounts") { $0.text(0) } }
        #expect(stored?.hasPrefix("$y$") == true && stored?.contains(secret) == false)

        // Wrong password, wrong case, unknown codice fiscale: the same 401.
        for (codiceFiscale, attempt) in [
            ("BNCLRA70A41H501B", "nope"), ("BNCLRA70A41H501B", secret.uppercased()), ("RSSMRA85T10A562S", secret),
        ] {
            let reply = try site.post("/api/login", ["codice_fiscale": codiceFiscale, "password": attempt])
            #expect(reply.status == 401 && reply.body.contains("Credenziali non valide"))
            #expect(reply.headers["Set-Cookie"] == nil)
        }
        let session = try signIn(site, "bnclra70a41h501b", secret)
        let mine = try site.post("/api/my-bookings", [:], headers: session)
        #expect(mine.status == 200 && mine.body.contains("Anna Bianchi") && mine.body.contains("Non hai prenotazioni"))

        // A forged cookie, no cookie, an expired session: sign-in needed.
        #expect(
            try site.post(
                "/api/my-bookings", [:], headers: ["Cookie": "sportello_session=" + String(repeating: "a", count: 32)]
            ).status == 401)
        #expect(try site.post("/api/my-bookings", [:]).status == 401)
        site.clock.advance(AccountStore.sessionSeconds + 1)
        #expect(try site.post("/api/my-bookings", [:], headers: session).status == 401)

        // Forgotten credentials: a new password, the old one dead; a mismatched contact changes nothing.
        let unchanged = try site.post(
            "/api/credentials", ["codice_fiscale": "BNCLRA70A41H501B", "contatto": "someone@example.it"])
        #expect(unchanged.status == 202)
        #expect(try password(site, "BNCLRA70A41H501B") == secret)
        let reset = try site.post(
            "/api/credentials", ["codice_fiscale": "BNCLRA70A41H501B", "contatto": "347 123 4567"])
        #expect(reset.status == 202 && reset.body == unchanged.body)
        let renewed = try password(site, "BNCLRA70A41H501B")
        #expect(renewed != secret)
        #expect(try site.post("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": secret]).status == 401)
        _ = try signIn(site, "BNCLRA70A41H501B", renewed)

        // Five wrong passwords lock the account for a while, even for the right one.
        for _ in 0..<4 { _ = try site.post("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": "x"]) }
        let locked = try site.post("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": "x"])
        #expect(locked.status == 429 && locked.headers["Retry-After"] != nil)
        #expect(try site.post("/api/login", ["codice_fiscale": "BNCLRA70A41H501B", "password": renewed]).status == 429)
        site.clock.advance(AccountStore.lockSeconds)
        let fresh = try signIn(site, "BNCLRA70A41H501B", renewed)
        // Signing out ends the session on the server, not just in the browser.
        let out = try site.post("/api/logout", [:], headers: fresh)
        #expect(out.status == 303 && (out.headers["Set-Cookie"] as? String)?.contains("Max-Age=0") == true)
        #expect(try site.post("/api/my-bookings", [:], headers: fresh).status == 401)

        // One address trying many accounts is slowed down; another address is not.
        site.clock.advance(120)
        var statuses: [Int] = []
        for index in 0..<12 {
            statuses.append(
                try site.post(
                    "/api/login", ["codice_fiscale": "RSSMRA85T10A562S", "password": "guess\(index)"],
                    headers: ["X-Forwarded-For": "198.51.100.7"]
                ).status)
        }
        #expect(statuses.prefix(10).allSatisfy { $0 == 401 } && statuses.suffix(2).allSatisfy { $0 == 429 })
        #expect(
            try site.post(
                "/api/login", ["codice_fiscale": "RSSMRA85T10A562S", "password": "x"],
                headers: ["X-Forwarded-For": "198.51.100.8"]
            ).status == 401)
    }

    @Test func bookingForSomeoneElseShowsInBothListsAndCountsTheBeneficiary() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.booking.maxActiveBookingsPerPerson = 1
                $0.identity = IdentityHeaders.testProxy
            })
        defer { site.stop() }
        let annaSession = try signIn(site, "BNCLRA70A41H501B", try register(site, anna))
        // Anna books for Mario: the codice fiscale comes first and is bound; names are Mario's.
        let booked = try book(
            site, slot: thursday0830, headers: annaSession, beneficiary: "RSSMRA85T10A562S",
            person: [
                "nome": "Mario", "cognome": "Rossi", "codice_fiscale": "XXXXXX00X00X000X", "email": "anna@example.it",
                "cellulare": "3471234567",
            ])
        #expect(booked.status == 201)
        let code = try #require(
            extract(
                "[2-9A-HJ-NP-Z]{8}",
                from: extract("<strong class=\"booking-code\">[^<]+", from: booked.body) ?? booked.body))
        let booking = try #require(try site.store.booking(code: code))
        #expect(booking.person.codiceFiscale == "RSSMRA85T10A562S" && booking.person.givenName == "Mario")
        #expect(
            booking.person.presenterCodiceFiscale == "BNCLRA70A41H501B"
                && booking.person.presenterName == "Anna Bianchi")

        let annaList = try site.post("/api/my-bookings", [:], headers: annaSession)
        #expect(annaList.body.contains(code) && annaList.body.contains("per conto di Mario Rossi"))
        // Mario's own account does not reach it (its contact is Anna's, and a codice fiscale proves nothing)…
        let marioSession = try signIn(site, "RSSMRA85T10A562S", try register(site, mario))
        #expect(!(try site.post("/api/my-bookings", [:], headers: marioSession).body.contains(code)))

        // The cap counts the beneficiary: Mario already has one, so Anna cannot book him another…
        let second = try book(
            site, slot: thursday0900, headers: annaSession, beneficiary: "RSSMRA85T10A562S",
            person: ["nome": "Mario", "cognome": "Rossi", "email": "anna@example.it", "cellulare": "3471234567"])
        #expect(second.status == 409 && second.body.contains("massimo"))
        // …but can book for herself; her own names are locked whatever the form says.
        let own = try book(
            site, slot: thursday0930, headers: annaSession,
            person: [
                "nome": "Eva", "cognome": "Verdi", "codice_fiscale": "RSSMRA85T10A562S",
                "email": "anna@example.it", "cellulare": "3471234567",
            ])
        #expect(own.status == 201)
        let ownCode = try #require(
            extract(
                "[2-9A-HJ-NP-Z]{8}", from: extract("<strong class=\"booking-code\">[^<]+", from: own.body) ?? own.body))
        #expect(try site.store.booking(code: ownCode)?.person.codiceFiscale == "BNCLRA70A41H501B")
        #expect(try site.store.booking(code: ownCode)?.person.givenName == "Anna")

        // Mario cannot cancel Anna's own booking nor, with his account, the one she made for him.
        let foreign = try site.post(
            "/api/my-bookings/cancel", ["code": ownCode, "confirm": "1"], headers: marioSession)
        #expect(foreign.status == 404)
        #expect(try site.store.booking(code: ownCode)?.state == .booked)
        #expect(
            try site.post("/api/my-bookings/cancel", ["code": code, "confirm": "1"], headers: marioSession).status
                == 404)
        // …but with SPID, certified, Mario sees the booking made for him, and who made it.
        let marioSPID = [
            "X-Identity-Fiscal-Number": "TINIT-RSSMRA85T10A562S", "X-Identity-Given-Name": "Mario",
            "X-Identity-Family-Name": "Rossi",
            "X-Sportello-Proxy-Secret": IdentityHeaders.testProxy.proxySecret,
        ]
        let marioList = try site.post("/api/my-bookings", [:], headers: marioSPID)
        #expect(marioList.body.contains(code) && marioList.body.contains("Prenotata per te da Anna Bianchi"))
        #expect(!marioList.body.contains(ownCode))
        // Anna can cancel the one she made for Mario.
        let cancelled = try site.post("/api/my-bookings/cancel", ["code": code, "confirm": "1"], headers: annaSession)
        #expect(cancelled.status == 200 && cancelled.body.contains("Annullato dal cittadino"))

        // Both appear in the operator's agenda.
        let (_, token) = try site.application.operators.create(name: "ufficio", scope: ["*"], now: now)
        let agenda = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26", "format": "csv"])
        #expect(agenda.body.contains("\"Mario\";\"Rossi\";\"RSSMRA85T10A562S\";\"Anna Bianchi\";\"BNCLRA70A41H501B\""))
        // Nothing personal in output/.
        let files = FileManager.default.enumerator(atPath: "\(site.folder)/output")?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".html") {
            #expect(!site.file(file).contains("RSSMRA85T10A562S") && !site.file(file).contains("Bianchi"))
        }
    }

    @Test func certifiedIdentityFromTheProxyOnlyAndAccountsWhenRequired() throws {
        let spid = [
            "X-Identity-Fiscal-Number": "TINIT-RSSMRA85T10A562S", "X-Identity-Given-Name": "Mario",
            "X-Identity-Family-Name": "Rossi",
            "X-Identity-Email": "mario@example.it", "X-Sportello-Proxy-Secret": "secret-shared-with-the-proxy",
        ]
        var proxy = IdentityHeaders()
        proxy.proxySecret = "secret-shared-with-the-proxy"
        do {
            let site = try RunningSite(now: now, configure: { $0.identity = proxy })
            defer { site.stop() }
            let list = try site.post("/api/my-bookings", [:], headers: spid)
            #expect(list.status == 200 && list.body.contains("identità digitale come Mario Rossi"))
            // The form is prefilled and locked; whatever is sent, the certified names are booked.
            let form = try site.post(
                "/api/holds", ["service": "residenza", "slot": String(thursday0830)], headers: spid)
            #expect(form.body.contains("value=\"Mario\" autocomplete=\"given-name\" readonly"))
            #expect(form.body.contains("Dato certificato da SPID/CIE"))
            let hold = try #require(extract("[0-9a-f]{32}", from: form.body))
            let fields = [
                "hold": hold, "nome": "Luigi", "cognome": "Verdi", "codice_fiscale": "BNCLRA70A41H501B",
                "email": "mario@example.it",
                "cellulare": "3331234567",
            ]
            let booked = try site.post("/api/bookings", fields, json: true, headers: spid)
            #expect(booked.status == 201)
            let code = try #require(
                extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
            #expect(try site.store.booking(code: code)?.person.givenName == "Mario")
            #expect(try site.store.booking(code: code)?.person.codiceFiscale == "RSSMRA85T10A562S")
        }
        do {
            // The same headers from an address that is not a trusted proxy are ignored.
            let site = try RunningSite(
                now: now,
                configure: {
                    $0.identity = proxy
                    $0.booking.trustedProxies = ["192.0.2.1"]
                    $0.booking.requireAccount = true
                })
            defer { site.stop() }
            let spoofed = try site.post("/api/my-bookings", [:], headers: spid)
            #expect(spoofed.status == 401 && !spoofed.body.contains("Mario"))
            // Booking requires an account here: anonymous holds are refused with the way to sign in.
            let anonymous = try site.post("/api/holds", ["service": "residenza", "slot": String(thursday0830)])
            #expect(
                anonymous.status == 401 && anonymous.body.contains("Accesso necessario")
                    && anonymous.body.contains("href=\"/accesso/\""))
            let session = try signIn(site, "BNCLRA70A41H501B", try register(site, anna))
            let booked = try book(
                site, slot: thursday0830, headers: session,
                person: ["email": "anna@example.it", "cellulare": "3471234567"])
            #expect(booked.status == 201)
            #expect(site.file("accesso/index.html").contains("Per prenotare serve un account"))
        }
    }
}

/// The receipt again (code + codice fiscale, or the signed-in citizen) and the messages each change queues.
@Suite(.serialized) struct ReceiptAndNotificationTests {
    let now = rome("2026-11-25", "08:00")
    let slot = rome("2026-11-26", "08:30")

    func outbox(_ site: RunningSite) throws -> [String] {
        try Outbox(database: site.store.database).list().map { "\($0.kind) \($0.channel) \($0.recipient)" }.sorted()
    }

    @Test func receiptsAndQueuedMessages() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        let hold = try site.post("/api/holds", ["service": "residenza", "slot": String(slot)], json: true)
        var form = person
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        form["hold"] = token
        let booked = try site.post("/api/bookings", form, json: true)
        let code = try #require(
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
        // Confirming again (a double click) queues nothing more.
        #expect(try site.post("/api/bookings", form, json: true).status == 201)
        #expect(try outbox(site) == ["confirmed email maria@example.it", "confirmed sms +393331234567"])

        // The receipt: with the right codice fiscale only; never written to output/.
        let receipt = try site.post("/api/receipts", ["code": code.lowercased(), "codice_fiscale": "rssmra85t10a562s"])
        #expect(
            receipt.status == 200 && receipt.body.contains(code)
                && receipt.body.contains("Maria Chiara D&#39;Alessandro"))
        #expect(receipt.body.contains("Ricevuta di prenotazione") && receipt.body.contains("Cambio di residenza"))
        let wrong = try site.post("/api/receipts", ["code": code, "codice_fiscale": "BNCLRA70A41H501B"])
        let unknown = try site.post("/api/receipts", ["code": "ZZZZZZZZ", "codice_fiscale": "RSSMRA85T10A562S"])
        #expect(wrong.status == 404 && unknown.status == 404 && wrong.body == unknown.body)
        #expect(site.file("annulla/index.html").contains("action=\"/api/receipts\""))

        // Cancelling queues the cancellation on both channels.
        #expect(
            try site.post(
                "/api/cancellations", ["code": code, "codice_fiscale": "RSSMRA85T10A562S", "confirm": "1"]
            ).status == 200)
        #expect(
            try outbox(site) == [
                "cancelled email maria@example.it", "cancelled sms +393331234567",
                "confirmed email maria@example.it", "confirmed sms +393331234567",
            ])
    }
}
