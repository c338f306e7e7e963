import Foundation
import Testing

@testable import SportelloNotify

/// A mail written straight into bytes (issue 16: fewer Strings per mail) is byte for byte the mail the
/// String-joining writer made, and the own base64 writer is Foundation's.
@Suite struct MailBytesTests {
    /// The writer as it was before, kept as the reference.
    static func reference(_ mail: MailMessage) -> String {
        var lines: [String] = []
        lines.append(MailMessage.header("From", "\(MailMessage.displayName(mail.fromName)) <\(mail.fromAddress)>"))
        lines.append(MailMessage.header("To", mail.toAddress))
        lines.append(MailMessage.header("Subject", MailMessage.encodedWord(mail.subject)))
        lines.append("Date: \(MailMessage.rfc5322Date(mail.date))")
        lines.append("Message-ID: <\(mail.messageID)>")
        lines.append("MIME-Version: 1.0")
        lines.append("Auto-Submitted: auto-generated")
        let alternative = MailMessage.boundary("alt", mail.messageID)
        let mixed = MailMessage.boundary("mixed", mail.messageID)
        let textPart = [
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
            MailMessage.quotedPrintable(mail.text),
        ]
        var content = textPart
        if let html = mail.html {
            let htmlPart = [
                "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "",
                MailMessage.quotedPrintable(html),
            ]
            content =
                ["Content-Type: multipart/alternative; boundary=\"\(alternative)\"", "", "--\(alternative)"] + textPart
                + ["--\(alternative)"] + htmlPart + ["--\(alternative)--"]
        }
        var body = content
        if !mail.attachments.isEmpty {
            body =
                ["Content-Type: multipart/mixed; boundary=\"\(mixed)\"", "", "This is a MIME message.", "--\(mixed)"]
                + content
            for attachment in mail.attachments {
                body += [
                    "--\(mixed)",
                    "Content-Type: \(attachment.contentType.replacingOccurrences(of: "; ", with: ";\r\n "));"
                        + "\r\n name=\"\(attachment.filename)\"",
                    "Content-Disposition: attachment;\r\n filename=\"\(attachment.filename)\"",
                    "Content-Transfer-Encoding: base64", "",
                    Data(attachment.bytes).base64EncodedString(options: [
                        .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
                    ]),
                ]
            }
            body.append("--\(mixed)--")
        }
        return (lines + body).joined(separator: "\r\n") + "\r\n"
    }

    static func mail(html: String?, attachments: [MailMessage.Attachment]) -> MailMessage {
        MailMessage(
            fromName: "Comune di Calci (PI), Anagrafe", fromAddress: "noreply@calci.example",
            toAddress: "mario@example.it", subject: "Prenotazione confermata: Carta d'identità – 3 dicembre",
            date: 1_796_000_000, messageID: "outbox-7.confirmed@calci.example",
            text: "Gentile Mario,\nla prenotazione è confermata.\n.\nCodice: ABC-123 = ok \n",
            html: html, attachments: attachments)
    }

    @Test func theBytesAreWhatTheStringWriterWrote() {
        let html =
            "<p>Gentile Mario,</p>\r\n<p>" + String(repeating: "la prenotazione è confermata ", count: 9) + "</p>"
        let calendar = MailMessage.Attachment(
            filename: "appuntamento-ABC.ics", contentType: "text/calendar; charset=utf-8; method=PUBLISH",
            bytes: Array(String(repeating: "BEGIN:VEVENT\r\nSUMMARY:Anagrafe – Calci\r\n", count: 7).utf8))
        let receipt = MailMessage.Attachment(
            filename: "ricevuta-ABC.html", contentType: "text/html; charset=utf-8", bytes: [0, 255, 1])
        for mail in [
            Self.mail(html: nil, attachments: []), Self.mail(html: html, attachments: []),
            Self.mail(html: nil, attachments: [receipt]), Self.mail(html: html, attachments: [calendar, receipt]),
        ] {
            #expect(mail.bytes == Array(Self.reference(mail).utf8))
            #expect(mail.rendered == Self.reference(mail))
        }
    }

    @Test func base64LinesAreFoundations() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString(options: [
                .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
            ])
            #expect(MailMessage.base64Lines(bytes) == expected, "length \(length)")
        }
    }
}
