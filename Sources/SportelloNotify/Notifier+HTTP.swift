import Foundation
import SportelloCore
import SportelloStore

/// The App IO and webhook hand-overs (see `HTTPHandOver`).
extension Notifier {
    /// Why a message cannot be handed over; `final` when trying again would not help.
    struct Refusal: Error {
        let reason: String
        let final: Bool
    }

    /// The standard input and the command of an App IO or webhook message.
    func httpRequest(
        _ message: OutboxMessage, booking: Booking?, now: Int64
    ) -> Result<([UInt8], [String]), Refusal> {
        do {
            switch message.channel {
            case .io:
                guard let io = settings.io else {
                    return .failure(Refusal(reason: "App IO is not configured (notifications.io)", final: true))
                }
                guard let booking, let keyFile = io.keyFile(forService: booking.slot.serviceID) else {
                    return .failure(
                        Refusal(reason: "App IO has no key for this booking's service (notifications.io)", final: true))
                }
                guard (try? CodiceFiscale(validating: message.recipient)) != nil else {
                    return .failure(
                        Refusal(reason: "not deliverable: App IO needs a valid codice fiscale", final: true))
                }
                let content = try composer.ioContent(for: message, booking: booking)
                return .success(
                    (
                        HTTPHandOver.ioInput(fiscalCode: message.recipient.uppercased(), content: content),
                        HTTPHandOver.ioCommand(baseURL: io.baseURL, keyFile: keyFile, courierTimeout: courier.timeout)
                    ))
            case .webhook:
                guard let webhook = settings.webhook else {
                    return .failure(
                        Refusal(reason: "the webhook is not configured (notifications.webhook)", final: true))
                }
                // Read at each delivery: a rotated secret needs no restart. A missing file is retried.
                guard let secret = FileManager.default.contents(atPath: webhook.secretFile), !secret.isEmpty else {
                    return .failure(
                        Refusal(reason: "cannot read the webhook secret file \(webhook.secretFile)", final: false))
                }
                let body = try composer.webhookEvent(
                    for: message, booking: booking, includePersonalData: webhook.includePersonalData, now: now)
                let signature = HTTPHandOver.signature(
                    secret: Array(Self.trimmed(secret)), timestamp: now, body: body)
                return .success(
                    (
                        body,
                        HTTPHandOver.webhookCommand(
                            url: webhook.url, timestamp: now, signature: signature, delivery: message.id,
                            courierTimeout: courier.timeout)
                    ))
            case .email, .sms:
                return .failure(Refusal(reason: "not an HTTP channel", final: true))
            }
        } catch {
            return .failure(Refusal(reason: "\(error)", final: false))
        }
    }

    /// The words of an App IO or webhook refusal that another attempt would not change; nil for a failure worth
    /// a retry, and always for mail and SMS, whose programs' exit statuses keep their usual meaning.
    static func refusal(_ message: OutboxMessage, _ error: String) -> String? {
        switch message.channel {
        case .io, .webhook: HTTPHandOver.refusal(error)
        case .email: SMTPHandOver.refusal(error)
        case .sms: nil
        }
    }

    /// The secret without the line end an editor adds.
    static func trimmed(_ data: Data) -> Data {
        var data = data
        while let last = data.last, last == 0x0A || last == 0x0D || last == 0x20 { data.removeLast() }
        return data
    }
}
