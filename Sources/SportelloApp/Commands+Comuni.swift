import Foundation
import SportelloCore
import SportelloHTTP

extension Commands {
    /// `sportello serve --comuni DIR`: every comune of `DIR` in this one process (see `ComuneHost`), on one
    /// address; nginx passes each host name's `/api/` to it. SIGHUP scans `DIR` again (comuni added or removed,
    /// no restart for the others); SIGINT/SIGTERM stop. `--workers-per-comune N` bounds the workers one comune
    /// occupies at once (default a quarter of them: `WorkerShare`).
    public static func serveComuni(_ options: Options, directory: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw Options.UsageError(
                description: "--comuni: \(directory) is not a folder "
                    + "(one subfolder per comune, each with its sportello.json)")
        }
        var workersPerComune: Int?
        if let text = options.named["--workers-per-comune"] {
            guard let number = Int(text), number >= 1 else {
                throw Options.UsageError(
                    description: "--workers-per-comune: \"\(text)\" is not a number of workers (1 or more; "
                        + "default \(WorkerShare.standardLimit()), a quarter of the \(HTTPLimits.standard.workers))")
            }
            workersPerComune = number
        }
        let comuni = ComuneHost(
            directory: directory, templatesPath: options.templatesPath, workersPerComune: workersPerComune)
        // Listen first: each comune answers as soon as it has started (the others get 503 until the scan ends).
        let proxies = comuni.configuredTrustedProxies()
        let server = HTTPServer(
            host: options.host, port: options.port, responder: comuni,
            uncappedAddresses: proxies.isEmpty ? ["127.0.0.1", "::1"] : proxies)
        do { try server.start() } catch { throw ServeError(listening: error, host: options.host, port: options.port) }
        let first = comuni.scan()
        let address = options.host.contains(":") ? "[\(options.host)]" : options.host
        Log.info(
            "started",
            [
                "version": .text(sportelloVersion), "comuni": .text(directory),
                "serving": .int(Int64(first.serving.count)), "skipped": .int(Int64(first.skipped.count)),
                "workers_per_comune": .int(Int64(comuni.workersPerComune)),
                "listening": .text("http://\(address):\(server.port)/"),
            ])
        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard signalNumber == SIGHUP else {
                    stop.signal()
                    return
                }
                let report = comuni.scan()
                Log.info(
                    "reload",
                    [
                        "comuni": .text(directory), "started": .int(Int64(report.started.count)),
                        "stopped": .int(Int64(report.stopped.count)),
                        "skipped": .int(Int64(report.skipped.count)),
                        "serving": .int(Int64(report.serving.count)),
                    ])
            }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        Log.info("stopping")
        server.stop()
        comuni.stopAll()
        _ = sources
    }
}
