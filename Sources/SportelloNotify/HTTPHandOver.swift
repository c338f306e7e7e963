import Foundation
import SportelloCore

/// The App IO and webhook requests, made by `curl` handed over through the `Courier` like sendmail: the
/// request outlives a killed worker and leaves its status in the spool, so a message is not sent twice when
/// `serve` dies mid-delivery (an HTTP client inside the server could not tell whether IO had accepted it).
/// Secrets never appear in a command line: the IO key is read from its file by the script and passed to curl
/// through a descriptor; the webhook's signature is not secret. See README "App IO and webhook".
///
/// The script's exit status says what to do: 0 delivered (2xx), `retryStatus` (429, 5xx, no answer) tried
/// again with the outbox's backoff, `refusedStatus` (any other answer) set aside with the answer's words.
enum HTTPHandOver {
    /// Exit status of an answer worth trying again (EX_TEMPFAIL).
    static let retryStatus = 75
    /// Exit status of a refusal that another attempt would not change (EX_DATAERR).
    static let refusedStatus = 65

    /// `$1` mode (`io` or `webhook`), `$2` address, `$3` seconds per request; `io`: `$4` the key file, standard
    /// input the profile request on one line then the message; `webhook`: `$4` timestamp, `$5` signature,
    /// `$6` delivery id, standard input the event.
    static let script = #"""
        mode=$1 url=$2 seconds=$3
        answer=$(mktemp) || { echo "cannot create a temporary file"; exit 75; }
        trap 'rm -f "$answer"' EXIT
        say() { printf '%s' "$1"; if [ -s "$answer" ]; then printf ': '; head -c 300 "$answer" | tr '\r\n' '  '; fi; echo; }
        post() {
            curl -sS --proto =http,https --max-time "$seconds" --max-filesize 65536 -o "$answer" -w '%{http_code}' \
                -X POST -H 'Content-Type: application/json' -H 'Expect:' "$@"
        }
        if [ "$mode" = webhook ]; then
            code=$(post -H "X-Sportello-Timestamp: $4" -H "X-Sportello-Signature: sha256=$5" \
                -H "X-Sportello-Delivery: $6" --data-binary @- "$url")
            case $code in
                2??) exit 0 ;;
                429|5??|000) say "the receiver answered HTTP $code, tried again later"; exit 75 ;;
                *) say "set aside: the receiver refused the event with HTTP $code"; exit 65 ;;
            esac
        fi
        key=$(tr -d ' \t\r\n' < "$4") && [ -n "$key" ] || { echo "cannot read the App IO key file $4"; exit 75; }
        IFS= read -r profile || { echo "no profile request"; exit 65; }
        code=$(printf '%s' "$profile" | post -H @/dev/fd/5 --data-binary @- "$url/profiles" 5<<EOF
        Ocp-Apim-Subscription-Key: $key
        EOF
        )
        case $code in
            200) grep -Eq '"sender_allowed"[[:space:]]*:[[:space:]]*true' "$answer" || {
                    say "not deliverable: the citizen has turned off this service's messages in App IO"; exit 65; } ;;
            404) say "not deliverable: the citizen does not use App IO"; exit 65 ;;
            429|5??|000) say "the App IO profile check answered HTTP $code, tried again later"; exit 75 ;;
            *) say "set aside: App IO refused the profile check with HTTP $code"; exit 65 ;;
        esac
        : > "$answer"
        code=$(post -H @/dev/fd/5 --data-binary @- "$url/messages" 5<<EOF
        Ocp-Apim-Subscription-Key: $key
        EOF
        )
        case $code in
            2??) exit 0 ;;
            429|5??|000) say "App IO answered HTTP $code, tried again later"; exit 75 ;;
            *) say "set aside: App IO refused the message with HTTP $code"; exit 65 ;;
        esac
        """#

    /// Seconds each request may take: two IO requests fit within the courier's wait.
    static func requestSeconds(_ courierTimeout: TimeInterval) -> Int { max(5, Int(courierTimeout) / 3) }

    /// The command that sends an IO message with the key in `keyFile`.
    static func ioCommand(baseURL: String, keyFile: String, courierTimeout: TimeInterval) -> [String] {
        ["/bin/sh", "-c", script, "sportello-http", "io", baseURL, String(requestSeconds(courierTimeout)), keyFile]
    }

    /// What the IO command reads: the profile request, a line feed, the message (JSON has no raw line feed).
    static func ioInput(fiscalCode: String, content: IOContent) -> [UInt8] {
        JSONWriter.bytes(["fiscal_code": fiscalCode]) + [UInt8(ascii: "\n")]
            + JSONWriter.bytes([
                "fiscal_code": fiscalCode,
                "content": ["subject": content.subject, "markdown": content.markdown] as [String: Any],
            ])
    }

    /// The command that POSTs a signed event to the webhook.
    static func webhookCommand(
        url: String, timestamp: Int64, signature: String, delivery: Int64, courierTimeout: TimeInterval
    ) -> [String] {
        [
            "/bin/sh", "-c", script, "sportello-http", "webhook", url, String(requestSeconds(courierTimeout)),
            String(timestamp), signature, String(delivery),
        ]
    }

    /// The signature of an event: HMAC-SHA256 under the secret over "<timestamp>.<body>", in hexadecimal. The
    /// timestamp is inside the signed input so a receiver can refuse an old event played again.
    static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        SHA256.hex(SHA256.hmac(key: secret, message: Array("\(timestamp).".utf8) + body))
    }

    /// The words of a refusal (the courier's "exit status 65: …"), or nil when the failure is worth a retry.
    static func refusal(_ error: String) -> String? {
        let prefix = "exit status \(refusedStatus)"
        guard error.hasPrefix(prefix) else { return nil }
        let words = error.dropFirst(prefix.count).drop { $0 == ":" || $0 == " " }
        return words.isEmpty ? "set aside: refused" : String(words)
    }
}
