import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// What `serve` says at start-up about the folders it writes: another user's folder means someone else can
/// change the pages citizens see or read the database; a `var/` others may enter exposes personal data.
enum FileOwnership {
    static func warnings(output: String, data: String, user: uid_t = geteuid()) -> [String] {
        var warnings: [String] = []
        for (label, path) in [("output", output), ("var", data)] {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_uid != user {
                warnings.append(
                    """
                    \(path) (\(label)) belongs to \(userName(info.st_uid)), not to \(userName(user)) who runs \
                    Sportello: that user can change or read what Sportello keeps there; chown it to the service's user
                    """
                )
            }
            if label == "var", info.st_mode & 0o077 != 0 {
                warnings.append(
                    """
                    \(path) can be entered by other users (mode \(String(info.st_mode & 0o777, radix: 8))): it holds \
                    personal data; chmod 700 it
                    """
                )
            }
        }
        return warnings
    }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }

    /// Logs the warnings, in the log's one format.
    static func warn(_ options: Options) {
        let data = (options.databasePath as NSString).deletingLastPathComponent
        for warning in warnings(output: options.outputPath, data: data.isEmpty ? "." : data) {
            Log.warning("file_ownership", ["warning": .text(warning)])
        }
    }
}
