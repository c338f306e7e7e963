/// Command-line options shared by the `sportello` commands. Hand-rolled: the project takes no packages.
public struct Options: Sendable {
    public var configPath = "sportello.json"
    public var templatesPath = "site-templates"
    public var outputPath = "output"
    public var databasePath = "var/sportello.sqlite"
    public var host = "127.0.0.1"
    public var port = 8080
    public var positional: [String] = []
    /// Options of one command (`--date 2026-12-01`), checked by that command.
    public var named: [String: String] = [:]
    /// Switches without a value (`--csv`).
    public var flags: Set<String> = []

    /// The switches commands accept; any other `--name` takes a value.
    static let switches: Set<String> = ["--csv", "--keep-closed", "--cancel-bookings"]

    public init() {}

    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses `--name value` and `--name=value` pairs and switches; anything else is positional.
    public init(parsing arguments: [String]) throws(UsageError) {
        var index = 0
        func value(for name: String, inline: String?) throws(UsageError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw UsageError(description: "\(name) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--") else {
                positional.append(argument)
                index += 1
                continue
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let inline = parts.count == 2 ? parts[1] : nil
            switch name {
            case "--config": configPath = try value(for: name, inline: inline)
            case "--templates": templatesPath = try value(for: name, inline: inline)
            case "--output": outputPath = try value(for: name, inline: inline)
            case "--database": databasePath = try value(for: name, inline: inline)
            case "--host": host = try value(for: name, inline: inline)
            case "--port":
                let text = try value(for: name, inline: inline)
                guard let number = Int(text), (0...65_535).contains(number) else { throw UsageError(description: "--port: \"\(text)\" is not a port number") }
                port = number
            case _ where Self.switches.contains(name):
                if inline != nil { throw UsageError(description: "\(name) takes no value") }
                flags.insert(name)
            default: named[name] = try value(for: name, inline: inline)
            }
            index += 1
        }
    }

    /// Fails on options this command does not know, so a typo is not silently ignored.
    public func expecting(_ names: Set<String>) throws(UsageError) {
        for name in named.keys where !names.contains(name) { throw UsageError(description: "unknown option \(name)") }
        for flag in flags where !names.contains(flag) { throw UsageError(description: "unknown option \(flag)") }
    }

    public func required(_ name: String) throws(UsageError) -> String {
        guard let value = named[name], !value.isEmpty else { throw UsageError(description: "\(name) is required") }
        return value
    }
}
