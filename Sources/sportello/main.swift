import Foundation
import SportelloApp

let usage = """
usage: sportello <command> [options]

commands:
  serve    build the site, then serve output/ and the booking endpoint on http://HOST:PORT
  build    render the public site into output/ and exit
  check    validate the configuration file and exit

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
    case "check": try Commands.check(options)
    case "build": try Commands.build(options)
    case "serve": try Commands.serve(options)
    default: fail("unknown command \"\(command)\"\n\n\(usage)")
    }
} catch {
    fail("\(error)")
}
