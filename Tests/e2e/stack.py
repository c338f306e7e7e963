"""One running Sportello as deployed: `sportello serve` on a loopback port behind nginx with the repository's
deploy/sportello-site.conf and sportello-api.conf. Each stack has its own temporary configuration, output/,
database and ports, so several can run at once (and beside other engineers' servers)."""

from __future__ import annotations

import email
import email.policy
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPORTELLO = Path(os.environ.get("SPORTELLO_BIN", REPO / ".build/debug/sportello"))
ARTIFACTS = REPO / ".build/e2e"
DEPLOY = REPO / "deploy"
NGINX_TEMPLATE = Path(__file__).with_name("nginx-e2e.conf.in")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout} s:\n{tail(log)}")


def built_lines(log: Path) -> int:
    """How many start-up builds the log reports (`event=built pages=N …`; "built N pages into …" before logfmt)."""
    try:
        return sum(1 for line in log.read_text(errors="replace").splitlines() if " event=built " in line or line.startswith("built "))
    except OSError:
        return 0


def wait_for_build(before: int, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sportello serve exited with {process.returncode}:\n{tail(log)}")
        if built_lines(log) > before:
            return
        time.sleep(0.05)
    raise RuntimeError(f"sportello serve did not finish its start-up build within {timeout} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


# Every cap of the configuration's "limits" (README "Security"): 0 switches it off.
UNLIMITED = ["holdsPerClient", "bookingsPerAddressPerDay", "bookingsPerContactPerDay", "registrationsPerAddressPerDay",
             "registrationsPerContactPerDay", "credentialResetsPerAddressPerDay", "credentialResetsPerContactPerDay",
             "mailPerRecipientPerDay", "smsPerRecipientPerDay"]


class Stack:
    def __init__(self, name: str, hold_minutes: int = 10, templates: Path | None = None):
        self.name = name
        self.templates = templates or REPO / "site-templates"
        self.dir = Path(tempfile.mkdtemp(prefix=f"sportello-e2e-{name}-"))
        # nginx's workers run as www-data when the suite runs as root: they must reach the pages, as in production.
        self.dir.chmod(0o755)
        self.output = self.dir / "output"
        self.database = self.dir / "var/sportello.sqlite"
        self.port = free_port()
        self.upstream_port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.hold_minutes = hold_minutes
        self.endpoint: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

        # The demo comune, as a comune would configure it behind this nginx: its origin is the nginx address
        # (the endpoint compares it with each POST's Origin) and nginx is the proxy whose X-Forwarded-For is
        # believed. The rate limit is raised because every browser of the suite comes from 127.0.0.1.
        config = json.loads((REPO / "sportello.json").read_text())
        config["comune"]["baseURL"] = self.origin
        config["booking"]["holdMinutes"] = hold_minutes
        config["booking"]["trustedProxies"] = ["127.0.0.1"]
        config["booking"]["requestsPerMinutePerAddress"] = 1000
        # The same for the limits per client: one address for every browser, and people.py's citizens share four
        # mailboxes. The abuse checks (Tests/robustness/abuse_*.py) start their own endpoint with the shipped limits.
        config["limits"] = {key: 0 for key in UNLIMITED}
        if "notifications" in config:
            # Mail goes to a stand-in for sendmail that keeps each message in mail/ and sends nothing.
            (self.dir / "mail").mkdir()
            sendmail = self.dir / "sendmail"
            sendmail.write_text('#!/bin/sh\n# sendmail -t -i stand-in: keeps the message, sends nothing.\n'
                                'cat > "$(dirname "$0")/mail/$(date +%s%N).eml"\n')
            sendmail.chmod(0o755)
            config["notifications"]["sendmailPath"] = str(sendmail)
        self.config = self.dir / "sportello.json"
        self.config.write_text(json.dumps(config, ensure_ascii=False, indent=1))
        self.configuration = config

    # MARK: Processes

    def start(self) -> "Stack":
        self.start_endpoint()
        self.start_nginx()
        return self

    def start_endpoint(self) -> None:
        log = self.dir / "sportello.log"
        builds = built_lines(log)
        self.endpoint = subprocess.Popen(
            [str(SPORTELLO), "serve", "--config", str(self.config), "--templates", str(self.templates),
             "--output", str(self.output), "--database", str(self.database),
             "--host", "127.0.0.1", "--port", str(self.upstream_port)],
            stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir,
            start_new_session=True)
        wait_for_port(self.upstream_port, self.endpoint, log, "sportello serve")
        # serve listens first and rebuilds every page in the background; the tests check pages, so they wait.
        wait_for_build(builds, self.endpoint, log)

    def render_nginx_conf(self) -> Path:
        ngx = self.dir / "nginx"
        (ngx / "temp").mkdir(parents=True, exist_ok=True)
        text = NGINX_TEMPLATE.read_text()
        for key, value in {
            "@USER@": "user www-data;" if os.geteuid() == 0 else "",
            "@DIR@": str(ngx), "@PORT@": str(self.port), "@UPSTREAM_PORT@": str(self.upstream_port),
            "@ROOT@": str(self.output), "@DEPLOY@": str(DEPLOY),
        }.items():
            assert key in text, key
            text = text.replace(key, value)
        conf = ngx / "nginx.conf"
        conf.write_text(text)
        return conf

    def start_nginx(self) -> None:
        conf = self.render_nginx_conf()
        ngx = conf.parent
        log = ngx / "error.log"
        self.nginx = subprocess.Popen(["nginx", "-e", str(log), "-p", f"{ngx}/", "-c", str(conf)],
                                      stdout=(ngx / "stdout.log").open("ab"), stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port, self.nginx, log, "nginx")

    @staticmethod
    def _stop(process: subprocess.Popen | None) -> None:
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop_endpoint(self) -> None:
        self._stop(self.endpoint)

    def stop(self) -> None:
        self._stop(self.nginx)
        self._stop(self.endpoint)
        logs = ARTIFACTS / "logs" / self.name
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True, exist_ok=True)
        for name in ["sportello.log", "nginx/error.log", "nginx/access.log", "nginx/nginx.conf", "sportello.json"]:
            if (self.dir / name).exists():
                shutil.copy(self.dir / name, logs / name.replace("/", "-"))
        shutil.rmtree(self.dir, ignore_errors=True)

    def week_files(self, service: str = "*", lang: str = "") -> list[Path]:
        """The published week pages, oldest week first: `2026-W48.html` files, or `2026-W48/index.html` folders."""
        base = self.output / lang / "servizi"
        return sorted(list(base.glob(f"{service}/20*-W*.html")) + list(base.glob(f"{service}/20*-W*/index.html")),
                      key=lambda p: str(p).replace("/index.html", ".html"))

    def week_path(self, service: str, week_name: str, prefix: str = "") -> str:
        """The address of a week page ("2026-W48"), whichever of the two layouts the publisher uses."""
        folder = f"{prefix}/servizi/{service}/"
        if (self.output / folder.strip("/") / f"{week_name}.html").exists():
            return folder + week_name + ".html"
        return folder + week_name + "/"

    @property
    def sends_mail(self) -> bool:
        return self.configuration.get("notifications", {}).get("email", False)

    def mail(self) -> list[tuple[str, str, str]]:
        """(To, Subject, text) of each message handed to sendmail so far, decoded as a mail program would."""
        folder = self.dir / "mail"
        messages = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            messages.append((str(message["To"]), str(message["Subject"]), body.get_content() if body else ""))
        return messages

    def logs(self) -> str:
        return (f"--- sportello.log\n{tail(self.dir / 'sportello.log')}\n"
                f"--- nginx error.log\n{tail(self.dir / 'nginx/error.log')}")

    # MARK: HTTP, as a client that is not a browser

    def url(self, path: str) -> str:
        return self.origin + path

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                port: int | None = None, source: str | None = None) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30,
                                                source_address=(source, 0) if source else None)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields, json_api: bool = False, origin: str | None = "site",
             headers: dict | None = None, source: str | None = None, follow: bool = True) -> Response:
        """A form POST as a browser on the site sends it (Origin = the site), or as an API client. A browser's
        form is answered 303 to the page it shows (GET /api/page, redirect-after-POST): followed unless
        `follow` is False, the answer carrying the POST's own cookies (less the page cookie)."""
        all_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin == "site":
            all_headers["Origin"] = self.origin
        elif origin:
            all_headers["Origin"] = origin
        if json_api:
            all_headers["Accept"] = "application/json"
        all_headers.update(headers or {})
        posted = self.request("POST", path, body=urllib.parse.urlencode(fields).encode(), headers=all_headers,
                              source=source)
        location = posted.header("Location") or ""
        if not follow or posted.status != 303 or not location.startswith("/api/page?p="):
            return posted
        cookies = [value.split(";")[0] for value in posted.all("Set-Cookie")]
        page_cookie = [c for c in cookies if c.startswith("sportello_pages=")]
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "cookie"}
        cookie = "; ".join([v for k, v in (headers or {}).items() if k.lower() == "cookie"] + page_cookie)
        if cookie:
            sent["Cookie"] = cookie
        shown = self.request("GET", location, headers=sent, source=source)
        own = [(k, v) for k, v in posted.headers if k.lower() == "set-cookie" and not v.startswith("sportello_pages=")]
        return Response(shown.status, [(k, v) for k, v in shown.headers if k.lower() != "set-cookie"] + own,
                        shown.body)
