import Foundation
import SportelloApp
import SportelloCore
import SportelloNotify

let usage = """
    usage: sportello <command> [options]        sportello <command> --help     sportello --version

    commands:
      serve    build the site, then serve output/ and the booking endpoint on http://HOST:PORT
      build    render the public site into output/ and exit
      check    validate the configuration file and exit (--database: also the bookings it would strand;
               --explain ID: a service's settings after inheritance and seasons)
      deliver  deliver the notifications that are due, once (for cron; serve does it by itself)
      outbox   list pending, dead and recently sent notifications
      backup FILE    a consistent copy of the database, also while serve runs
      restore FILE   replace the database with a backup (serve must be stopped)
      audit [--since YYYY-MM-DD] [--actor A] [--limit N]   the audit log: who did what, when

    office commands (an operator token: --token T or SPORTELLO_OPERATOR_TOKEN):
      operator add NAME --scope ID[,ID…]|*   create an operator for offices/services; prints the token once
      operator list | operator disable NAME | operator enable NAME | operator token NAME (a new token)
      agenda [--date YYYY-MM-DD] [--entry ID] [--csv]        the day's bookings and unavailability
      outcome CODE done|absent                               record what happened
      cancel-booking CODE --reason TEXT [--keep-closed]      cancel for the office (the slot reopens unless kept closed)
      block --service ID --date D --from HH:MM --to HH:MM [--desks N] [--reason TEXT] [--cancel-bookings]
      unblock ID                                             end an unavailability
      purge [--before YYYY-MM-DD] [--dry-run]   erase personal data older than privacy.retentionDays (serve does it daily)
      stats [--from D] [--to D] [--token T]  per-service figures as CSV (a token: that operator's scope only)

    options:
      --config PATH      site configuration (default sportello.json; env SPORTELLO_CONFIG)
      --templates PATH   templates, translations and assets (default site-templates)
      --output PATH      where the public site is written (default output)
      --database PATH    SQLite database (default var/sportello.sqlite; env SPORTELLO_DATABASE)
      --host HOST        address to listen on (default 127.0.0.1)
      --port PORT        port to listen on (default 8080)
      --metrics H:P      serve: Prometheus counters at http://H:P/metrics (off unless given)
      --comuni DIR       serve: every comune of DIR (a subfolder each) in one process, chosen by host name
      --workers-per-comune N  serve --comuni: the most workers one comune occupies at once (default a quarter)
      --log-format F     logfmt (default) or json; env SPORTELLO_LOG_FORMAT. Logs go to standard error.
      SPORTELLO_ROOT     the installation folder the default paths above are relative to (default: the current one)

    exit status: 0 done, 1 failed (the message says why), 2 wrong usage.
    """

/// One paragraph per command for `sportello COMMAND --help`.
let commandHelp: [String: String] = [
    "serve":
        """
    sportello serve [--host H] [--port P] [--metrics H:P] [--comuni DIR] [--log-format logfmt|json]
      Builds every page, then serves output/ and the endpoint. One serve per database (a lock beside it).
      Logs (start-up summary, one line per request, refusals, delivery failures) go to standard error.
      GET /api/health answers 200 or 503 with the state of database, publisher and outbox.
      SIGINT/SIGTERM stop it; SIGHUP re-reads the configuration: a valid one restarts serve in place with it,
      a broken one is logged and the running configuration stays.
    """,
    "build":
        """
    sportello build
      Renders the public site into output/ and exits; warns about confirmed bookings the configuration no longer \
    offers.
    """,
    "check":
        """
    sportello check [--database [PATH]] [--explain ID]
      Validates the configuration. --database also lists the confirmed appointments it would strand
      (closed day, shorter hours, removed service) and fails if there are any. --explain ID prints a service's
      effective settings and where each comes from.
    """,
    "deliver":
        "sportello deliver\n  Delivers the notifications that are due, once (for cron; serve does it by itself).",
    "outbox": "sportello outbox\n  Lists pending, dead and recently sent notifications.",
    "backup":
        """
    sportello backup FILE
      Writes a consistent copy of the database to FILE (SQLite online backup; safe while serve runs).
    """,
    "restore":
        """
    sportello restore FILE
      Replaces the database with the backup FILE after checking it. Refused while serve runs.
      The database it replaces is saved under backups/ beside it first.
    """,
    "audit":
        """
    sportello audit [--since YYYY-MM-DD] [--actor A] [--limit N]
      Prints the audit log (time, actor, action, subject): the latest N entries (default 1000), oldest first.
    """,
    "operator":
        """
    sportello operator add NAME --scope ID[,ID…]|*   create; prints the token once
    sportello operator list
    sportello operator disable NAME                  the token stops working
    sportello operator enable NAME                   the token works again
    sportello operator token NAME                    a new token; the old one stops working
    """,
    "agenda": "sportello agenda [--date YYYY-MM-DD] [--entry ID] [--csv] --token T",
    "outcome": "sportello outcome CODE done|absent --token T",
    "cancel-booking": "sportello cancel-booking CODE --reason TEXT [--keep-closed] --token T",
    "block":
        """
    sportello block --service ID --date D --from HH:MM --to HH:MM [--desks N] [--reason TEXT] [--cancel-bookings] \
    --token T
    """,
    "unblock": "sportello unblock ID --token T",
    "purge":
        """
    sportello purge [--before YYYY-MM-DD] [--dry-run]
      Erases the personal data of appointments that ended before the date (default: privacy.retentionDays ago).
      A date in the future is refused. --dry-run only counts.
    """,
    "stats":
        """
    sportello stats [--from D] [--to D] [--token T]
      Per-service figures as CSV; with an operator token, only that operator's services.
    """,
]

func fail(_ message: String, status: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("sportello: \(message)\n".utf8))
    exit(status)
}

// The courier process that serve's notifications start (never a command a person types).
CourierProcess.runIfAsked(CommandLine.arguments)
let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    FileHandle.standardError.write(Data(usage.utf8))
    exit(2)
}
if ["-h", "--help", "help"].contains(command) {
    if arguments.count > 1, let help = commandHelp[arguments[1]] { print(help) } else { print(usage) }
    exit(0)
}
if ["--version", "-V", "version"].contains(command) {
    print("sportello \(sportelloVersion)")
    exit(0)
}
guard let help = commandHelp[command] else {
    fail(
        """
        unknown command \"\(command)\"; the commands are: \(commandHelp.keys.sorted().joined(separator: ", ")) \
        (sportello --help)
        """,
        status: 2)
}
let options: Options
do {
    options = try Options(parsing: Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
} catch {
    fail("\(error)\n\n\(help)", status: 2)
}
if options.flags.contains("--help") {
    print(help)
    exit(0)
}
if let format = options.logFormat { Log.configure(format: format) }
/// The most arguments (besides options) each command takes.
let positionalArguments = ["backup": 1, "restore": 1, "operator": 2, "outcome": 2, "cancel-booking": 1, "unblock": 1]
do {
    try options.expectingPositional(atMost: positionalArguments[command] ?? 0)
} catch {
    fail("\(error)\n\n\(help)", status: 2)
}

do {
    switch command {
    case "check":
        try options.expecting(["--explain"])
        if try !Commands.check(options) { exit(1) }
    case "build", "serve":
        try options.expecting(command == "serve" ? ["--metrics", "--comuni", "--workers-per-comune"] : [])
        if command == "build" {
            try Commands.build(options).endProcess()
        } else if let directory = options.named["--comuni"] {
            try Commands.serveComuni(options, directory: directory)
        } else {
            try Commands.serve(options)
        }
    case "deliver": try Commands.deliver(options)
    case "outbox": try Commands.outbox(options)
    case "backup": try Commands.backup(options)
    case "restore": try Commands.restore(options)
    case "audit": try Commands.audit(options)
    case "operator": try Commands.operatorAccounts(options)
    case "agenda": try Commands.agenda(options)
    case "outcome": try Commands.outcome(options)
    case "cancel-booking": try Commands.cancelBooking(options)
    case "block": try Commands.block(options)
    case "unblock": try Commands.unblock(options)
    case "purge": try Commands.purge(options)
    case "stats": try Commands.statistics(options)
    default: fail("unknown command \"\(command)\" (sportello --help)", status: 2)
    }
} catch let error as Options.UsageError {
    fail("\(error)\n\n\(help)", status: 2)
} catch {
    fail("\(error)")
}
