import Foundation
import SportelloApp
import SportelloCore
import SportelloHTTP

/// What the fuzz harness feeds and which properties must hold for every input (docs/ARCHITECTURE.md §5: no input
/// crashes or hangs the process; every bad request is a clean 4xx).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Request heads and framing: a request, "need more", or a 4xx.
    case http
    /// `application/x-www-form-urlencoded` bodies: fields, or a form error.
    case form
    /// The configuration file: a configuration, or an error naming where and what.
    case config
    /// Codici fiscali: valid or invalid, and the check character decides.
    case cf
    /// Every POST route of the endpoint, in process (`EndpointFuzz`): no crash, no 5xx, an answer in time.
    case endpoint

    /// Seeds are mutated as bytes, except configurations, which are mostly mutated as JSON.
    public func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        switch self {
        case .config where Int.random(in: 0..<4, using: &rng) > 0: FuzzMutator.mutateJSON(seed, &rng)
        case .endpoint: EndpointFuzz.mutate(seed, &rng)
        default: FuzzMutator.mutate(seed, &rng)
        }
    }

    /// Runs one input; nil when every property held, else what went wrong. (A crash or a hang is caught by
    /// the harness around this call.)
    public func check(_ input: [UInt8]) -> String? {
        switch self {
        case .http:
            if case .refused(let status) = RequestParsing.verdict(input), !(400...499).contains(status) {
                return "refused with \(status), not a 4xx"
            }
            return nil
        case .form:
            switch Result(catching: { try FormDecoder.decode(input) }) {
            case .success(let fields):
                // Every decoded name and value is valid UTF-8 that reads back the same.
                for (name, value) in fields.pairs
                where String(decoding: Array(name.utf8), as: UTF8.self) != name
                    || String(decoding: Array(value.utf8), as: UTF8.self) != value
                {
                    return "field \(name.debugDescription) does not round-trip"
                }
                return nil
            case .failure(let error):
                return error is FormError ? nil : "unexpected error \(error)"
            }
        case .config:
            do {
                _ = try SiteConfiguration.parse(Data(input))
                return nil
            } catch {
                return error.description.isEmpty ? "an error without a message" : nil
            }
        case .endpoint:
            switch EndpointFuzz.current() {
            case .success(let fixture): return fixture.check(input)
            case .failure(let error): return "the endpoint fixture could not start: \(error)"
            }
        case .cf:
            let text = String(decoding: input, as: UTF8.self)
            guard let code = try? CodiceFiscale(validating: text) else { return nil }
            // A valid code: so are its lowercase and padded forms, and exactly one check character fits.
            guard (try? CodiceFiscale(validating: " \(text.lowercased())\n"))?.value == code.value else {
                return "\(code.value) valid, but not once lowercased and padded"
            }
            let first15 = code.value.prefix(15)
            let fitting = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".filter {
                (try? CodiceFiscale(validating: first15 + String($0))) != nil
            }
            return fitting == String(code.value.suffix(1)) ? nil : "\(first15): check characters \(fitting) all fit"
        }
    }
}
