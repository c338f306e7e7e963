/// How log lines are written: `logfmt` (key=value, the default, easy to grep and read in journald) or
/// `json` (one object per line, for log shippers).
public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt
    case json
}
