import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// The `notifications` section: defaults, every setting read, and each mistake named by its exact path.
@Suite struct NotificationConfigurationTests {
    func parse(_ notifications: String) throws(ConfigurationError) -> SiteConfiguration {
        let json = """
            {"comune": {"name": "Comune di Prova", "baseURL": "https://prenota.prova.example.it"},
             "notifications": \(notifications),
             "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}]}
            """
        return try SiteConfiguration.parse(Data(json.utf8))
    }

    @Test func defaultsAndEverySetting() throws {
        let defaults = try makeConfiguration(
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}]"#
        ).notifications
        #expect(defaults == NotificationSettings())
        #expect(
            defaults.email && !defaults.sms && defaults.sendmailPath == "/usr/sbin/sendmail"
                && defaults.reminderHoursBefore == 24)
        let settings = try parse(
            """
            {"from": "noreply@prova.example.it", "fromName": "Comune di Prova (PI), Anagrafe", "email": false, "sendmailPath": "/usr/bin/msmtp",
             "sms": true, "smsCommand": ["/usr/local/bin/invia-sms", "--mittente", "Comune"], "reminderHoursBefore": 0, "maxAttempts": 3}
            """
        ).notifications
        #expect(settings.from == "noreply@prova.example.it" && settings.fromName == "Comune di Prova (PI), Anagrafe")
        #expect(!settings.email && settings.sendmailPath == "/usr/bin/msmtp")
        #expect(settings.sms && settings.smsCommand == ["/usr/local/bin/invia-sms", "--mittente", "Comune"])
        #expect(settings.reminderHoursBefore == 0 && settings.maxAttempts == 3)
    }

    @Test(arguments: [
        (#"{"form": "noreply@prova.example.it"}"#, "notifications.form"),
        (#"{"from": "not an address"}"#, "notifications.from"),
        (#"{"email": "yes"}"#, "notifications.email"),
        (#"{"sendmailPath": ""}"#, "notifications.sendmailPath"),
        (#"{"sms": true}"#, "notifications.sms"),
        (#"{"sms": true, "smsCommand": "/usr/local/bin/invia-sms"}"#, "notifications.smsCommand"),
        (#"{"reminderHoursBefore": -1}"#, "notifications.reminderHoursBefore"),
        (#"{"maxAttempts": 0}"#, "notifications.maxAttempts"),
        (#"["email"]"#, "notifications"),
    ])
    func mistakesNameTheirPath(_ notifications: String, _ path: String) {
        #expect(throws: ConfigurationError.self) { try parse(notifications) }
        do {
            _ = try parse(notifications)
        } catch {
            #expect(error.path == path, "\(error)")
        }
    }
}
