import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// Approval per service (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): the pending state's rules, the expiry instant and
/// the configuration.
@Suite struct ApprovalTests {
    @Test func onlyAPendingRequestAwaitsApprovalAndOnlyABookingIsReminded() {
        for state in BookingState.allCases {
            #expect(state.awaitsApproval == (state == .pending), "\(state)")
            #expect(state.receivesReminder == (state == .booked), "\(state)")
        }
        #expect(BookingState.pending.occupiesSlot)
        #expect(!BookingState.pending.acceptsOutcome)
        #expect(BookingState(rawValue: "pending") == .pending)
    }

    @Test func aRequestExpiresAtItsSecondHoursBeforeTheAppointment() {
        let start: Int64 = 1_800_000_000
        let settings = ApprovalSettings(required: true, expiresHoursBefore: 24)
        #expect(settings.expiresAt(slotStart: start) == start - 86_400)
        #expect(!settings.hasExpired(slotStart: start, at: start - 86_401))
        #expect(settings.hasExpired(slotStart: start, at: start - 86_400))
        #expect(settings.hasExpired(slotStart: start, at: start))
        let atStart = ApprovalSettings(required: true, expiresHoursBefore: 0)
        #expect(!atStart.hasExpired(slotStart: start, at: start - 1))
        #expect(atStart.hasExpired(slotStart: start, at: start))
        #expect(ApprovalSettings(required: true).expiresHoursBefore == 24)
    }

    func office(_ approval: String, child: String = "") -> String {
        """
        [{"id": "anagrafe", "name": "Anagrafe", \(approval) "slotMinutes": 10,
          "schedule": {"mon": ["09:00-12:00"]},
          "children": [{"id": "carta", "name": "Carta" \(child)}, {"id": "certificati", "name": "Certificati"}]}]
        """
    }

    @Test func approvalIsInheritedAndAServiceMayTurnItOff() throws {
        let catalogue = Catalogue(
            configuration: try makeConfiguration(
                office(
                    #""approval": {"required": true, "expiresHoursBefore": 48},"#,
                    child: #", "approval": {"required": false}"#)))
        let inherited = catalogue.service(id: "certificati")?.approval
        #expect(inherited == ApprovalSettings(required: true, expiresHoursBefore: 48))
        #expect(catalogue.service(id: "carta")?.approval == nil)
        let plain = Catalogue(configuration: try makeConfiguration(office("")))
        #expect(plain.service(id: "carta")?.approval == nil)
        #expect(plain.service(id: "carta")?.staffOnly == false)
    }

    @Test func badApprovalSettingsNameTheirPath() {
        for (approval, path) in [
            (#""approval": {"required": "yes"},"#, "services[0].approval.required"),
            (#""approval": {"expiresHoursBefore": 2},"#, "services[0].approval.required"),
            (#""approval": {"required": true, "expiresHoursBefore": -1},"#, "services[0].approval.expiresHoursBefore"),
            (#""approval": {"required": true, "expiresHoursBefore": 999},"#, "services[0].approval.expiresHoursBefore"),
            (#""approval": {"required": true, "hours": 2},"#, "services[0].approval.hours"),
            (#""approval": true,"#, "services[0].approval"),
            (#""staffOnly": 1,"#, "services[0].staffOnly"),
        ] {
            do {
                _ = try makeConfiguration(office(approval))
                Issue.record("accepted \(approval)")
            } catch let error as ConfigurationError {
                #expect(error.path == path, "\(approval): \(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
