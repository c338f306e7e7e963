import Foundation
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// The evidence of the mail a courier speaks over SMTP: one append-only file per courier run
/// (`smtp-<pid>-<time>.journal` in the spool), `flock`ed by the courier for its whole life. Before a batch's
/// messages go out it appends "started <key>" for each, after their replies "status <key> <code> <words>". A file
/// per message (the lock files of program hand-overs) would cost more than the SMTP exchange itself.
///
/// Read by a restarted server (settling its unfinished claims) and by every courier before it sends (under the
/// spool's `smtp.lock`, so two couriers never both send one attempt): a held journal's started-only keys are in
/// flight; a free journal's are uncertain (the courier was killed between "started" and the status); a status
/// settles its key. Only complete lines count: a line cut off by a kill is as if not written. See
/// docs/ARCHITECTURE.md §6.
final class SMTPJournal {
    /// What a journal says of one key.
    struct Entry: Equatable {
        var status: Status?
    }

    /// A recorded reply: its code (three digits, "unsent" or "lost") and words.
    struct Status: Equatable {
        let code: String
        let words: String
    }

    let path: String
    private let descriptor: Int32
    /// Bytes written so far (the courier starts a new journal past `rotateAt`).
    private(set) var size = 0
    /// Past this size a courier starts a new journal; the old one, free, is removed once nothing refers to it.
    static let rotateAt = 1_024 * 1_024

    static let suffix = ".journal"
    static let prefix = "smtp-"

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A new journal in `spool`, locked before it gets its name: a reader never sees it free.
    init(spool: String) throws {
        try PrivateFiles.makeFolder(spool)
        let name = "\(spool)/\(Self.prefix)\(getpid())-\(DispatchTime.now().uptimeNanoseconds)"
        let opened = open(name + ".new", O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            throw Failure(description: "cannot create \(name).new: \(String(cString: strerror(errno)))")
        }
        guard flock(opened, LOCK_EX | LOCK_NB) == 0, rename(name + ".new", name + Self.suffix) == 0 else {
            let error = String(cString: strerror(errno))
            close(opened)
            unlink(name + ".new")
            throw Failure(description: "cannot set up \(name)\(Self.suffix): \(error)")
        }
        descriptor = opened
        path = name + Self.suffix
    }

    deinit { close(descriptor) }

    /// Appends `lines` in one write; false when they could not all be written.
    func append(_ lines: [String]) -> Bool {
        guard !lines.isEmpty else { return true }
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written > 0 { size += written }
        return written == bytes.count
    }

    /// A status line's words: one line, short.
    static func line(_ words: String) -> String {
        String(String(words.map { $0 == "\n" || $0 == "\r" ? " " : $0 }).prefix(300))
    }

    /// The entries of a journal's text, by key; lines that are cut off or not understood are skipped.
    static func parse(_ bytes: [UInt8]) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return entries }
        for line in bytes[..<end].split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            let key = String(decoding: fields[1], as: UTF8.self)
            switch String(decoding: fields[0], as: UTF8.self) {
            case "started":
                if entries[key] == nil { entries[key] = Entry(status: nil) }
            case "status":
                guard fields.count >= 3 else { continue }
                let words = fields.count > 3 ? String(decoding: fields[3], as: UTF8.self) : ""
                entries[key] = Entry(status: Status(code: String(decoding: fields[2], as: UTF8.self), words: words))
            default:
                continue
            }
        }
        return entries
    }

    /// What a key's entries in several journals add up to: a status wins; among started-only, a held journal's.
    struct Found {
        var entry: Entry
        var held: Bool
    }

    /// Every journal in `spool` but `excluding`, by key. `cache` keeps what free journals said (a free journal
    /// never changes again); held ones are read each time.
    static func entries(
        in spool: String, excluding: String? = nil, cache: inout [String: [String: Entry]]
    )
        -> [String: Found]
    {
        var found: [String: Found] = [:]
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter {
            $0.hasPrefix(prefix) && $0.hasSuffix(suffix)
        }
        let paths = Set(names.map { "\(spool)/\($0)" })
        for gone in cache.keys where !paths.contains(gone) { cache[gone] = nil }
        for path in paths where path != excluding {
            let held: Bool
            let entries: [String: Entry]
            if let cached = cache[path] {
                (held, entries) = (false, cached)
            } else {
                guard let read = read(path) else { continue }
                (held, entries) = read
                if !held { cache[path] = entries }
            }
            for (key, entry) in entries {
                if let earlier = found[key] {
                    if earlier.entry.status != nil { continue }
                    if entry.status == nil && earlier.held { continue }
                }
                found[key] = Found(entry: entry, held: held)
            }
        }
        return found
    }

    /// Every journal in `spool`, read now.
    static func entries(in spool: String) -> [String: Found] {
        var cache: [String: [String: Entry]] = [:]
        return entries(in: spool, cache: &cache)
    }

    /// Whether a journal's courier still holds it, and its entries; nil when it cannot be opened (gone).
    private static func read(_ path: String) -> (held: Bool, entries: [String: Entry])? {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        defer { close(opened) }
        // A shared probe: readers in other threads probing the same journal at once must not take each other for
        // its courier, which holds it exclusively.
        let held = flock(opened, LOCK_SH | LOCK_NB) != 0
        return (held, parse(contents(opened)))
    }

    /// Removes the free journals none of whose keys is in `claimed` (the attempts the outbox still waits for):
    /// what they say can no longer matter. Journals still held (their courier lives) stay.
    static func sweep(_ spool: String, keepingAny claimed: Set<String>) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter {
            $0.hasPrefix(prefix) && ($0.hasSuffix(suffix) || $0.hasSuffix(".new"))
        }
        for name in names {
            let path = "\(spool)/\(name)"
            let opened = open(path, O_RDONLY | O_CLOEXEC)
            guard opened >= 0 else { continue }
            defer { close(opened) }
            guard flock(opened, LOCK_EX | LOCK_NB) == 0 else { continue }
            // A journal whose courier died before naming it.
            if name.hasSuffix(".new") {
                unlink(path)
                continue
            }
            if parse(contents(opened)).keys.contains(where: claimed.contains) { continue }
            unlink(path)
        }
    }

    /// All that is left to read from `descriptor`.
    private static func contents(_ descriptor: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1_024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }
}
