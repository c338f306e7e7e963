import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// Secrets that a queued message must carry but the database must never hold: a citizen's new password.
/// The outbox row names a file in `secrets/` beside the database (folder 0700, files 0600); the file is
/// overwritten and removed once the message is handed over or given up, so neither the database, its
/// write-ahead log nor a backup of them ever contains the cleartext.
public struct SecretFiles: Sendable {
    /// The `secrets/` folder beside the database.
    public let folder: String

    /// The secret files of `database`.
    public init(database: Database) {
        folder = ((database.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("secrets")
    }

    /// The payload key naming the file (the cleartext itself never goes into a payload).
    public static let payloadKey = "passwordFile"

    /// Stores `secret` durably (file and folder entry synced) and returns the file's name, for the outbox row
    /// written after it: a crash in between leaves only an unreferenced file, swept by `sweep`.
    public func store(_ secret: String) throws -> String {
        try PrivateFiles.makeFolder(folder)
        let name = Tokens.hex128()
        let path = self.path(name)
        try PrivateFiles.write(Array(secret.utf8), to: path)
        let file = open(path, O_RDONLY | O_CLOEXEC)
        if file >= 0 {
            fsync(file)
            close(file)
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        return name
    }

    /// The secret in file `name` (nil when it is gone or `name` is not one of ours).
    public func read(_ name: String) -> String? {
        guard Self.isName(name), let data = FileManager.default.contents(atPath: path(name)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Overwrites and removes file `name`, once its message is handed over or given up.
    public func remove(_ name: String) {
        guard Self.isName(name) else { return }
        PrivateFiles.shred(path(name))
    }

    /// Removes files older than `age` seconds that no pending message names (left by a registration whose
    /// transaction did not commit).
    public func sweep(referenced: Set<String>, now: Int64, age: Int64 = 3_600) {
        // Housekeeping only: no folder yet means no secret written yet; the next pass tries again.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for file in names where file.hasSuffix(".secret") {
            let name = String(file.dropLast(7))
            guard !referenced.contains(name) else { continue }
            var info = stat()
            if stat(path(name), &info) == 0, Int64(info.st_mtim.tv_sec) < now - age { remove(name) }
        }
    }

    private func path(_ name: String) -> String { "\(folder)/\(name).secret" }

    /// Names are ours (32 lowercase hex digits): a payload can never point outside the folder.
    static func isName(_ name: String) -> Bool {
        name.utf8.count == 32 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
