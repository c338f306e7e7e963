import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

/// nginx on a free loopback port, serving `root` with the production site configuration, in the foreground
/// as a child process.
final class NginxProcess {
    let port: Int
    private let process = Process()

    init?(root: String, folder: String, templates: String) {
        let deploy = URL(fileURLWithPath: templates).deletingLastPathComponent().appendingPathComponent("deploy").path
        guard let port = freeLoopbackPort() else { return nil }
        self.port = port
        let directory = "\(folder)/nginx"
        try? FileManager.default.createDirectory(atPath: "\(directory)/temp", withIntermediateDirectories: true)
        let configuration = """
            \(geteuid() == 0 ? "user www-data;" : "")
            worker_processes auto;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 4096; }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                sendfile on;
                tcp_nopush on;
                access_log off;
                client_body_temp_path \(directory)/temp;
                proxy_temp_path \(directory)/temp;
                fastcgi_temp_path \(directory)/temp;
                uwsgi_temp_path \(directory)/temp;
                scgi_temp_path \(directory)/temp;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root);
                    include \(deploy)/sportello-site.conf;
                }
            }
            """
        let path = "\(directory)/nginx.conf"
        guard (try? configuration.write(toFile: path, atomically: true, encoding: .utf8)) != nil else { return nil }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["nginx", "-c", path, "-p", directory]
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Ready when the port answers.
        for _ in 0..<200 {
            if BenchClient.canConnect(port: port) { return }
            usleep(10_000)
        }
        process.terminate()
        return nil
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Processor time (user + system) of the master and its worker processes so far, from /proc.
    func cpuSeconds() -> Double {
        let master = process.processIdentifier
        var total = 0.0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries where entry.first?.isNumber == true {
            guard let text = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { continue }
            // After the command name: state, ppid, …; utime and stime are fields 14 and 15 of the line.
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let pid = Int32(entry), let parent = Int32(fields[1]),
                pid == master || parent == master,
                let user = Double(fields[11]), let system = Double(fields[12])
            else { continue }
            total += user + system
        }
        return total / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
