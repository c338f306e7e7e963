import SportelloCore

/// Command-line options shared by the `sportello` commands. Hand-rolled: the project takes no packages.
public struct Options: Sendable {
    /// `--config`: the comune's configuration file.
    public var configPath = "sportello.json"
    /// `--templates`: the folder with the page templates, assets and translations.
    public var templatesPath = "site-templates"
    /// `--output`: where the static pages are written.
    public var outputPath = "output"
    /// `--database`: the SQLite file (its folder also holds the lock, spool and secrets).
    public var databasePath = "var/sportello.sqlite"
    /// `--host`: the address `serve` listens on (loopback by default, behind the reverse proxy).
    public var host = "127.0.0.1"
    /// `--port`: the port `serve` listens on.
    public var port = 8080
    /// `--log-format logfmt|json` (or SPORTELLO_LOG_FORMAT); nil keeps the default, logfmt.
    public var logFormat: LogFormat?
    /// Arguments after the command that are not options (`operator add NAME`).
    public var positional: [String] = []
    /// Options of one command (`--date 2026-12-01`), checked by that command.
    public var named: [String: String] = [:]
    /// Switches without a value (`--csv`).
    public var flags: Set<String> = []
    /// A command's option given last without its value: reported by `expecting`, which knows whether the
    /// command has such an option at all (`build --nope` is an unknown option, not one missing its value).
    var missingValue: String?

    /// The switches commands accept; any other `--name` takes a value.
    static let switches: Set<String> = ["--csv", "--keep-closed", "--cancel-bookings", "--help", "--dry-run"]

    /// The defaults, as used when nothing is given.
    public init() {}

    /// A command line that cannot be run: printed with the usage.
    public struct UsageError: Error, CustomStringConvertible {
        /// What is wrong with the arguments.
        public let description: String
    }

    /// Parses `--name value` and `--name=value` pairs and switches; anything else is positional.
    /// `environment` supplies defaults so commands run from anywhere: SPORTELLO_ROOT (the installation folder
    /// the default relative paths are taken from), SPORTELLO_CONFIG, SPORTELLO_DATABASE, SPORTELLO_LOG_FORMAT.
    public init(parsing arguments: [String], environment: [String: String] = [:]) throws(UsageError) {
        if let root = environment["SPORTELLO_ROOT"], !root.isEmpty {
            let base = root.hasSuffix("/") ? root : root + "/"
            configPath = base + configPath
            templatesPath = base + templatesPath
            outputPath = base + outputPath
            databasePath = base + databasePath
        }
        if let config = environment["SPORTELLO_CONFIG"], !config.isEmpty { configPath = config }
        if let database = environment["SPORTELLO_DATABASE"], !database.isEmpty { databasePath = database }
        if let format = environment["SPORTELLO_LOG_FORMAT"], !format.isEmpty {
            guard let parsed = LogFormat(rawValue: format) else {
                throw UsageError(
                    description: "SPORTELLO_LOG_FORMAT: \"\(format)\" is not a log format (logfmt or json)")
            }
            logFormat = parsed
        }
        var index = 0
        func value(for name: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw UsageError(description: "\(name) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") || argument == "-h" else {
                positional.append(argument)
                index += 1
                continue
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0] == "-h" ? "--help" : parts[0]
            let inline = parts.count == 2 ? parts[1] : nil
            switch name {
            case "--config": configPath = try value(for: name, inline: inline)
            case "--templates": templatesPath = try value(for: name, inline: inline)
            case "--output": outputPath = try value(for: name, inline: inline)
            case "--database":
                // `check --database` (no path: the default or SPORTELLO_DATABASE) also compares the bookings.
                if inline == nil, index + 1 >= arguments.count || arguments[index + 1].hasPrefix("--") {
                    flags.insert("--database")
                } else {
                    databasePath = try value(for: name, inline: inline)
                    flags.insert("--database")
                }
            case "--host": host = try value(for: name, inline: inline)
            case "--port":
                let text = try value(for: name, inline: inline)
                guard let number = Int(text), (0...65_535).contains(number) else {
                    throw UsageError(description: "--port: \"\(text)\" is not a port number")
                }
                port = number
            case "--log-format":
                let text = try value(for: name, inline: inline)
                guard let format = LogFormat(rawValue: text) else {
                    throw UsageError(description: "--log-format: \"\(text)\" is not a log format (logfmt or json)")
                }
                logFormat = format
            case _ where Self.switches.contains(name):
                if inline != nil { throw UsageError(description: "\(name) takes no value") }
                flags.insert(name)
            default:
                if inline == nil, index + 1 >= arguments.count {
                    missingValue = name
                } else {
                    named[name] = try value(for: name, inline: inline)
                }
            }
            index += 1
        }
    }

    /// Fails on options this command does not know, so a typo is not silently ignored.
    public func expecting(_ names: Set<String>) throws(UsageError) {
        // Every command takes these; `--database` is also a switch of `check`.
        let names = names.union(["--help", "--database"])
        for name in named.keys where !names.contains(name) { throw UsageError(description: "unknown option \(name)") }
        for flag in flags where !names.contains(flag) { throw UsageError(description: "unknown option \(flag)") }
        if let name = missingValue {
            throw UsageError(description: names.contains(name) ? "\(name) needs a value" : "unknown option \(name)")
        }
    }

    /// Fails on arguments beyond the `count` a command takes (`sportello serve extra` used to serve).
    public func expectingPositional(atMost count: Int) throws(UsageError) {
        if positional.count > count { throw UsageError(description: "unexpected argument \"\(positional[count])\"") }
    }

    /// The value of the named option `name`, which the command cannot do without.
    public func required(_ name: String) throws(UsageError) -> String {
        guard let value = named[name], !value.isEmpty else { throw UsageError(description: "\(name) is required") }
        return value
    }
}
