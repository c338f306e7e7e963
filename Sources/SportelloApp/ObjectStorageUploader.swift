import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import Synchronization

/// Copies `output/` to an S3-compatible bucket (`publish.s3`) for a CDN to serve, on a thread of its own so a
/// slow or unreachable bucket never holds up a booking or a page on disk. Each publish batch only wakes it
/// (`filesChanged`); it then compares `output/` with what it last uploaded (`UploadManifest`, kept on disk),
/// uploads the changed files with their headers and deletes from the bucket what the publisher removed, with
/// rclone. A failed attempt is retried with backoff (1 s doubling to 30 s, or at the next publish batch) and
/// loses nothing: what is not in the manifest is still to upload, after a restart too. Without a manifest
/// (first start, lost file) the bucket is listed and compared whole, by checksum.
public final class ObjectStorageUploader: BackgroundService {
    /// The uploader's state for `/api/health`.
    public struct Snapshot: Sendable, Equatable {
        /// Files changed or removed in `output/` not yet in the bucket, as of the last attempt.
        public var pending = 0
        /// When the bucket last matched `output/`.
        public var lastSuccess: Int64?
        /// When the last attempt failed.
        public var lastFailure: Int64?
        /// Why the last attempt failed (rclone's message, shortened).
        public var lastError: String?
        /// The last attempt failed: the bucket lags behind the pages, and the CDN serves old ones.
        public var failing = false
        /// Files uploaded and deleted since start (a full rebuild that changed nothing adds none).
        public var uploaded = 0
        /// Objects deleted from the bucket since start, for pages removed from `output/`.
        public var deleted = 0
    }

    private struct Control {
        var stop: StopRequest?
        var child: pid_t?
    }

    private let settings: ObjectStorageSettings
    private let outputDirectory: String
    private let stateFile: String
    private let state = Mutex(Snapshot())
    private let control = Mutex(Control())
    private let wake = DispatchSemaphore(value: 0)
    private static let maximumBackoff = 30.0

    /// `stateFile`: where the manifest is kept when the settings name none (beside the database).
    public init(settings: ObjectStorageSettings, outputDirectory: String, stateFile: String) {
        self.settings = settings
        self.outputDirectory = outputDirectory
        self.stateFile = settings.stateFile ?? stateFile
    }

    /// The state `/api/health` reports.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// The thread's name.
    public var name: String { "object-storage" }

    /// Cuts an upload in progress short (what it did not finish stays pending) and ends the wait.
    public func interrupt() {
        if let child = control.withLock({ $0.child }) { kill(child, SIGTERM) }
        wake.signal()
    }

    /// The hook for each publish batch: files under `output/` were written or removed.
    public func filesChanged() { wake.signal() }

    private var stopped: Bool { control.withLock { $0.stop?.isRequested ?? false } }

    /// The uploader's loop: first brings the bucket up to date with `output/`, then after every publish batch.
    public func run(until stop: StopRequest) {
        control.withLock { $0.stop = stop }
        var manifest = UploadManifest.load(stateFile)
        var failures = 0
        var first = true
        while true {
            if first {
                first = false
            } else if failures > 0 {
                let delay = min(Self.maximumBackoff, pow(2, Double(failures - 1)))
                _ = wake.wait(timeout: .now() + delay)
            } else {
                wake.wait()
            }
            // Batches that arrived meanwhile are all covered by the one comparison below.
            while wake.wait(timeout: .now()) == .success {}
            if stopped { break }
            do {
                try synchronise(&manifest)
                failures = 0
            } catch {
                failures += 1
                let message = String("\(error)".prefix(300))
                state.withLock {
                    $0.failing = true
                    $0.lastFailure = Int64(Date().timeIntervalSince1970)
                    $0.lastError = message
                }
                let retry = min(Self.maximumBackoff, pow(2, Double(failures - 1)))
                Log.warning(
                    "upload_failed",
                    [
                        "attempt": .int(Int64(failures)),
                        "pending": .int(Int64(snapshot.pending)),
                        "retry_seconds": .int(Int64(retry)),
                        "error": .text(message),
                    ])
            }
        }
    }

    /// One attempt: uploads what changed, deletes what was removed, and saves the manifest after each step
    /// that succeeded (a failure later in the attempt keeps what was done).
    private func synchronise(_ manifest: inout UploadManifest?) throws {
        let started = Date()
        let scanned = UploadManifest.scan(outputDirectory)
        let wholeBucket = manifest == nil
        var known = manifest ?? UploadManifest()
        var difference = known.difference(from: scanned)
        if wholeBucket {
            // Without a manifest, what the bucket holds beyond output/ is found by listing it.
            let listing = try rclone(["lsf", "-R", "--files-only", remote])
            difference.removed = listing.split(separator: "\n").map(String.init).filter { scanned[$0] == nil }.sorted()
        }
        state.withLock { $0.pending = difference.count }
        guard difference.count > 0 else {
            if wholeBucket { try known.save(stateFile) }
            manifest = known
            succeeded()
            return
        }
        var uploaded = 0
        // Assets first, pages after, so a page never reaches the CDN before the stylesheet it links.
        let groups = Dictionary(grouping: difference.changed.keys) { Self.headers(for: $0) }
        let ordered = groups.sorted { ($0.key.order, $0.key.contentType) < ($1.key.order, $1.key.contentType) }
        for (headers, paths) in ordered {
            var arguments = ["copy", outputDirectory, remote, "--files-from-raw", try list(paths.sorted())]
            // The manifest says these changed: no need to ask the bucket, except when there is no manifest.
            arguments += wholeBucket ? ["--checksum"] : ["--no-traverse", "--no-check-dest"]
            arguments += [
                "--header-upload", "Content-Type: \(headers.contentType)",
                "--header-upload", "Cache-Control: \(headers.cacheControl)",
            ]
            if headers.gzip { arguments += ["--header-upload", "Content-Encoding: gzip"] }
            _ = try rclone(arguments)
            for path in paths { known.files[path] = difference.changed[path] }
            try known.save(stateFile)
            manifest = known
            uploaded += paths.count
            let remaining = difference.count - uploaded
            state.withLock {
                $0.uploaded += paths.count
                $0.pending = remaining
            }
        }
        if !difference.removed.isEmpty {
            _ = try rclone(["delete", remote, "--files-from-raw", try list(difference.removed), "--no-traverse"])
            for path in difference.removed { known.files[path] = nil }
            try known.save(stateFile)
            manifest = known
            state.withLock { $0.deleted += difference.removed.count }
        }
        if wholeBucket {
            try known.save(stateFile)
            manifest = known
        }
        state.withLock { $0.pending = 0 }
        succeeded()
        Log.info(
            "uploaded",
            [
                "files": .int(Int64(uploaded)), "deleted": .int(Int64(difference.removed.count)),
                "ms": .int(Int64(Date().timeIntervalSince(started) * 1000)),
            ])
    }

    private func succeeded() {
        state.withLock {
            $0.failing = false
            $0.lastSuccess = Int64(Date().timeIntervalSince1970)
        }
    }

    /// The headers a file is served with, as nginx serves it (deploy/sportello-site.conf).
    struct Headers: Hashable {
        var contentType: String
        var cacheControl: String
        /// A `.gz` twin: stored with the page's type and `Content-Encoding: gzip`, for a CDN rule to serve it
        /// to clients that accept gzip.
        var gzip: Bool
        var order: Int
    }

    static func headers(for path: String) -> Headers {
        let gzip = path.hasSuffix(".gz")
        let name = gzip ? String(path.dropLast(3)) : path
        let fileExtension = (name as NSString).pathExtension.lowercased()
        let contentType = StaticFiles.contentTypes[fileExtension] ?? "application/octet-stream"
        let isAsset = name.hasPrefix("assets/")
        // Pages change with every booking: always revalidated. The endpoint-down page is never cached.
        let cacheControl =
            name == "assets/endpoint-down.html"
            ? "no-store"
            : isAsset ? "public, max-age=3600" : "no-cache"
        return Headers(contentType: contentType, cacheControl: cacheControl, gzip: gzip, order: isAsset ? 0 : 1)
    }

    /// rclone's on-the-fly remote: the S3 backend configured by environment variables (no rclone.conf).
    private var remote: String {
        settings.prefix.isEmpty ? ":s3:\(settings.bucket)" : ":s3:\(settings.bucket)/\(settings.prefix)"
    }

    /// A file list for `--files-from-raw`, beside the manifest.
    private func list(_ paths: [String]) throws -> String {
        let path = "\(stateFile).list"
        try Data((paths.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    struct RcloneFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs rclone with the bucket's settings and returns its standard output; a failure carries the last
    /// line rclone wrote to its standard error.
    private func rclone(_ arguments: [String]) throws -> String {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RCLONE_") }
        environment["RCLONE_CONFIG"] = "/dev/null"
        environment["RCLONE_S3_PROVIDER"] = settings.provider
        environment["RCLONE_S3_ENV_AUTH"] = "true"
        environment["RCLONE_S3_ENDPOINT"] = settings.endpoint
        environment["RCLONE_S3_REGION"] = settings.region
        // The bucket exists (made by whoever runs the CDN); rclone would otherwise try to create it each time.
        environment["RCLONE_S3_NO_CHECK_BUCKET"] = "true"
        if let file = settings.credentialsFile { environment["AWS_SHARED_CREDENTIALS_FILE"] = file }
        // rclone (1.60) refuses to start its S3 backend when AWS_CA_BUNDLE is set ("unsupported transport"); it
        // trusts the system's certificates (and SSL_CERT_FILE) instead.
        environment["AWS_CA_BUNDLE"] = nil
        // Fail fast and let the backoff above retry: a bucket that is down must not hold this thread for minutes.
        let common = ["--retries", "1", "--low-level-retries", "2", "--contimeout", "5s", "--timeout", "30s", "-q"]
        let output = "\(stateFile).out"
        let errors = "\(stateFile).err"
        let status = try spawn(
            [settings.rclonePath] + arguments + common, environment: environment,
            output: output, errors: errors)
        defer {
            unlink(output)
            unlink(errors)
        }
        let standardOutput = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let lastLine =
                ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
                .split(separator: "\n").last.map(String.init) ?? ""
            throw RcloneFailure(description: "rclone \(arguments[0]) exited with status \(status): \(lastLine)")
        }
        return standardOutput
    }

    /// Starts the program with `posix_spawn` (no fork of the server's memory) and waits for it.
    private func spawn(
        _ arguments: [String], environment: [String: String], output: String,
        errors: String
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.startWithDefaultSignals(&attributes)
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for entry in cEnvironment { free(entry) } }
        var child: pid_t = 0
        // Under the lock, so a stop either sees the child or has already stopped the uploader.
        let result = control.withLock { control -> Int32 in
            guard !(control.stop?.isRequested ?? false) else { return ECANCELED }
            let result = posix_spawn(&child, arguments[0], &actions, &attributes, &cArguments, &cEnvironment)
            if result == 0 { control.child = child }
            return result
        }
        guard result == 0 else {
            throw RcloneFailure(description: "cannot run \(arguments[0]): \(String(cString: strerror(result)))")
        }
        // Exited: its status; killed by a signal: 128 + the signal; not to be waited for: -1, a failure.
        let status = ChildProcess.reap(child, waiting: true) ?? -1
        control.withLock { $0.child = nil }
        return status
    }
}
