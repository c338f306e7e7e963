import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// `officeNotifications`: an office's address reaches every service under it, a service may set its own, and
/// a value that is not an address is refused with its path.
@Suite struct OfficeNotificationConfigurationTests {
    @Test func anOfficesAddressIsInheritedAndAServiceMaySetItsOwn() throws {
        let configuration = try makeConfiguration(
            """
            [{"id": "anagrafe", "name": "Anagrafe", "officeNotifications": "anagrafe@comune.example.it",
              "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]},
              "children": [
                {"id": "carta", "name": "Carta d'identità"},
                {"id": "residenza", "name": "Residenza", "officeNotifications": "residenza@comune.example.it"}]},
             {"id": "tributi", "name": "Tributi", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}]
            """)
        #expect(
            configuration.officeNotificationRecipients == [
                "carta": "anagrafe@comune.example.it", "residenza": "residenza@comune.example.it",
            ])
        let policy = configuration.messagePolicy
        #expect(policy.officeRecipient(serviceID: "carta") == "anagrafe@comune.example.it")
        #expect(policy.officeRecipient(serviceID: "tributi") == nil)
        #expect(policy.officeLanguage == "it")
    }

    @Test func aValueThatIsNotAnAddressNamesItsPath() {
        #expect {
            try makeConfiguration(
                """
                [{"id": "anagrafe", "name": "Anagrafe", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]},
                  "children": [{"id": "carta", "name": "Carta", "officeNotifications": "anagrafe at comune"}]}]
                """)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.path == "services[0].children[0].officeNotifications"
                && error?.message.contains("not an email address") == true
        }
    }
}
