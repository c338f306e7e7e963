import Foundation
import SportelloApp

let usage = """
usage: sportello <command> [options]

commands:
  serve    build the site, then serve output/ and the booking endpoint on http://HOST:PORT
  build    render the public site into output/ and exit
  check    validate the configuration file and exit
  deliver  deliver the notifications that are due, once (for cron; serve does it by itself)
  outbox   list pending, dead and recently sent notifications

office commands (an operator token: --token T or SPORTELLO_OPERATOR_TOKEN):
  operator add NAME --scope ID[,ID…]|*   create an operator for offices/services; prints the token once
  operator list | operator disable NAME
  agenda [--date YYYY-MM-DD] [--entry ID] [--csv]        the day's bookings and unavailability
  outcome CODE done|absent                               record what happened
  cancel-booking CODE --reason TEXT [--keep-closed]      cancel for the office (the slot reopens unless kept closed)
  block --service ID --date D --from HH:MM --to HH:MM [--desks N] [--reason TEXT] [--cancel-bookings]
  unblock ID                                             end an unavailability
  purge [--before YYYY-MM-DD]   erase personal data older than privacy.retentionDays (serve does it daily)
  stats [--from D] [--to D] [--token T]  per-service figures as CSV (a token: that operator's scope only)

options:
  --config PATH      site configuration (default sportello.json)
  --templates PATH   templates, translations and assets (default site-templates)
  --output PATH      where the public site is written (default output)
  --database PATH    SQLite database (default var/sportello.sqlite)
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port to listen on (default 8080)
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sportello: \(message)\n".utf8))
    exit(1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, !["-h", "--help", "help"].contains(command) else {
    print(usage)
    exit(arguments.isEmpty ? 2 : 0)
}
let options: Options
do { options = try Options(parsing: Array(arguments.dropFirst())) } catch { fail("\(error)\n\n\(usage)") }

do {
    switch command {
    case "check", "build", "serve":
        try options.expecting([])
        switch command {
        case "check": try Commands.check(options)
        case "build": try Commands.build(options)
        default: try Commands.serve(options)
        }
    case "deliver": try Commands.deliver(options)
    case "outbox": try Commands.outbox(options)
    case "operator": try Commands.operatorAccounts(options)
    case "agenda": try Commands.agenda(options)
    case "outcome": try Commands.outcome(options)
    case "cancel-booking": try Commands.cancelBooking(options)
    case "block": try Commands.block(options)
    case "unblock": try Commands.unblock(options)
    case "purge": try Commands.purge(options)
    case "stats": try Commands.statistics(options)
    default: fail("unknown command \"\(command)\"\n\n\(usage)")
    }
} catch {
    fail("\(error)")
}
