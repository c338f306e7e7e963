import Foundation
import SportelloCore
import Testing

@testable import SportelloStore

/// Every write says what it changed: the slots whose pages move, the blocks, the outbox rows it wrote in its
/// own transaction. The application applies exactly this after the commit, so it must be exact.
@Suite struct StoreChangeTests {
    func withStore(_ body: (BookingStore) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        try body(BookingStore(database: try Database(path: path)))
    }

    func outboxRows(_ store: BookingStore) throws -> Int {
        try store.database.read { try Int($0.scalarInt("SELECT COUNT(*) FROM outbox")) }
    }

    let both = MessagePolicy(email: true, sms: true)

    @Test func aConfirmationNamesItsSlotAndTheMessagesItQueuedOnce() throws {
        try withStore { store in
            let hold = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "t")
            #expect(hold.change == StoreChange(slots: [slot]))
            let confirmed = try store.confirm(
                holdToken: hold.value.token, person: mario, slotEnd: slot.start + 1_200, now: now,
                clientIP: "t", policy: BookingPolicy(messages: both))
            // One mail and one SMS, written in the confirmation's transaction.
            #expect(confirmed.change == StoreChange(slots: [slot], messagesQueued: 2))
            #expect(try outboxRows(store) == 2)
            // Confirming again returns the same booking and changes nothing.
            let again = try store.confirm(
                holdToken: hold.value.token, person: mario, slotEnd: slot.start + 1_200, now: now + 1,
                clientIP: "t", policy: BookingPolicy(messages: both))
            #expect(again.value == confirmed.value)
            #expect(again.change == .none)
            #expect(try outboxRows(store) == 2)
        }
    }

    @Test func theChannelsOfThePolicyDecideTheRowsAndTheRefusedBudgetWritesNone() throws {
        try withStore { store in
            let mailOnly = MessagePolicy(email: true, sms: false)
            let hold = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "t").value
            let booked = try store.confirm(
                holdToken: hold.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t",
                policy: BookingPolicy(messages: mailOnly))
            #expect(booked.change.messagesQueued == 1)
            let spent = [DailyCap("book:contact:mario@example.it", limit: 1)]
            try store.takeDaily(spent, now: now)
            let other = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "t")
                .value
            #expect(throws: BookingError.dailyLimitReached(until: Usage.day(of: now).ends)) {
                try store.confirm(
                    holdToken: other.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t",
                    policy: BookingPolicy(messages: both), caps: spent)
            }
            #expect(try outboxRows(store) == 1)
            let cancelled = try store.cancel(
                code: booked.value.code, codiceFiscale: mario.codiceFiscale, now: now + 60, clientIP: "t",
                messages: mailOnly)
            #expect(cancelled.change == StoreChange(slots: [slot], messagesQueued: 1))
            // Cancelled already: the same answer, nothing changed.
            let twice = try store.cancel(
                code: booked.value.code, codiceFiscale: mario.codiceFiscale, now: now + 61, clientIP: "t",
                messages: mailOnly)
            #expect(twice.change == .none)
        }
    }

    @Test func operatorActionsNameTheirBlocksAndTheMessagesToTheCitizensTheyCancelled() throws {
        try withStore { store in
            let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "t").value
            _ = try store.confirm(
                holdToken: hold.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t")
            let blocked = try store.addBlock(
                serviceID: slot.serviceID, startsAt: slot.start - 3_600, endsAt: slot.start + 20 * 86_400,
                desks: 1, reason: "Chiusura", cancelAffected: true, now: now, actor: "operator:test",
                address: "t", messages: both)
            #expect(blocked.change.blocks == [blocked.value.block])
            #expect(blocked.change.messagesQueued == 2)
            #expect(blocked.value.affected.map(\.state) == [.cancelledByOperator])
            let removed = try store.removeBlock(
                id: blocked.value.block.id, now: now + 1, actor: "operator:test", address: "t")
            #expect(removed.change == StoreChange(blocks: [blocked.value.block]))
        }
    }

    @Test func accountsAndContactCodesCountTheMessagesTheyQueued() throws {
        try withStore { store in
            let accounts = AccountStore(database: store.database)
            let created = try accounts.register(
                mario, verifiedContact: mario.email, now: now, address: "t", messages: both)
            #expect(created.change.messagesQueued == 1)
            let repeated = try accounts.register(
                mario, verifiedContact: mario.email, now: now + 1, address: "t", messages: both)
            #expect(repeated.change.messagesQueued == 1)  // "an account exists", to the contact given
            let silent = try accounts.register(mario, verifiedContact: mario.email, now: now + 2, address: "t")
            #expect(silent.change == .none)
            let reset = try accounts.resetCredentials(
                codiceFiscale: mario.codiceFiscale, contact: mario.email, now: now + 3, address: "t",
                messages: both)
            #expect(reset.value && reset.change.messagesQueued == 1)
            let codes = ContactCodeStore(database: store.database)
            let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "t").value
            let sent = try codes.issue(holdToken: hold.token, contact: mario.phone, now: now, resend: false)
            #expect(sent.value == .sent && sent.change.messagesQueued == 1)
            let again = try codes.issue(holdToken: hold.token, contact: mario.phone, now: now + 1, resend: false)
            #expect(again.value == .alreadySent && again.change == .none)
            #expect(try outboxRows(store) == 4)
        }
    }
}
