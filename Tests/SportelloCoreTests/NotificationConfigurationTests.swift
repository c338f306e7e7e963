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

    @Test func appIOAndTheWebhook() throws {
        let settings = try parse(
            """
            {"io": {"baseURL": "http://127.0.0.1:9/api/v1/", "apiKeyFile": "/etc/sportello/io",
                    "services": {"a": {"apiKeyFile": "/etc/sportello/io-a"}}},
             "webhook": {"url": "https://hook.example.it/in", "secretFile": "/etc/sportello/hook",
                         "includePersonalData": true}}
            """
        ).notifications
        let io = try #require(settings.io)
        #expect(io.baseURL == "http://127.0.0.1:9/api/v1" && io.apiKeyFile == "/etc/sportello/io")
        #expect(
            io.keyFile(forService: "a") == "/etc/sportello/io-a" && io.keyFile(forService: "z") == "/etc/sportello/io")
        #expect(
            settings.webhook?.url == "https://hook.example.it/in"
                && settings.webhook?.secretFile == "/etc/sportello/hook"
                && settings.webhook?.includePersonalData == true)
        let policy = MessagePolicy(settings)
        #expect(policy.sends(on: .io) && policy.sends(on: .webhook) && policy.sendsIO(forService: "a"))
        // Defaults: the public API, no personal data on the webhook; neither channel unless configured.
        let plain = try parse(
            #"{"io": {"apiKeyFile": "/k"}, "webhook": {"url": "https://h.example.it", "secretFile": "/s"}}"#
        ).notifications
        #expect(plain.io?.baseURL == "https://api.io.pagopa.it/api/v1" && plain.webhook?.includePersonalData == false)
        #expect(!MessagePolicy(NotificationSettings()).sends(on: .io))
        #expect(!MessagePolicy(NotificationSettings()).sends(on: .webhook))
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
        (#"{"io": {}}"#, "notifications.io"),
        (#"{"io": {"apiKeyFile": "/k", "baseURL": "ftp://api.example.it"}}"#, "notifications.io.baseURL"),
        (#"{"io": {"apiKeyFile": "/k", "apiKey": "secret-in-json"}}"#, "notifications.io.apiKey"),
        (#"{"io": {"services": {"b": {"apiKeyFile": "/k"}}}}"#, "notifications.io.services.b"),
        (#"{"io": {"services": {"a": {"apiKeyFile": ""}}}}"#, "notifications.io.services.a.apiKeyFile"),
        (#"{"webhook": {"url": "https://hook.example.it"}}"#, "notifications.webhook.secretFile"),
        (#"{"webhook": {"url": "hook.example.it", "secretFile": "/s"}}"#, "notifications.webhook.url"),
        (
            #"{"webhook": {"url": "https://h.example.it", "secretFile": "/s", "secret": "x"}}"#,
            "notifications.webhook.secret"
        ),
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
