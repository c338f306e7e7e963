#!/usr/bin/env python3
"""Hostile clients while honest ones keep being served (issue 8, docs/ARCHITECTURE.md §5).

Against one `sportello serve`, one attack after another:
 1. slowloris: hundreds of connections from 127.0.0.2 (not a trusted proxy) each sending a byte every few seconds;
 2. oversized request line / header block / too many fields / bodies (414 / 431 / 413);
 3. request smuggling (CL+TE, duplicate or odd Content-Length, chunked, obs-fold, bare CR, bare LF, whitespace
    before the colon): 400 or 411, the connection closed, and the request hidden behind it never answered;
 4. invalid UTF-8 (and bad percent-encoding) in form fields: 400;
 5. XSS, template and SQL payloads in every field of every POST (holds, form, confirmation, cancellation,
    receipts, accounts, sign-in, operator sign-in and actions) and in headers: no 5xx, no payload unescaped in any
    answer (pages, receipts, the operator agenda, mail), the database intact, nothing of it in output/;
 6. a flood of POSTs from 127.0.0.2: 429 with a clear message once past booking.requestsPerMinutePerAddress;
 7. abuse: far dates, extreme integers and a dribbled body (abuse_bounds.py).
 8. abuse: operator and citizen sign-in timing, sessions, forged identity headers, headers, files (abuse_secrets.py);
 9. squatting, SMS pumping and proof-of-work forgeries against an endpoint of their own with the shipped limits
    (proof of work on; abuse_squat.py).
Meanwhile an honest client (127.0.0.1, the trusted proxy, each citizen its own X-Forwarded-For as nginx sends it)
fetches pages and completes bookings; each of its requests must be answered correctly within 2 s. Its median and
p99 latency are printed per attack.

    .build/python/bin/python Tests/robustness/hostile.py [--quick] [--binary .build/debug/sportello]
"""

from __future__ import annotations

import argparse
import csv
import io
import email
import email.policy
import gzip
import http.client
import json
import random
import re
import selectors
import socket
import threading
import time
import urllib.parse

import abuse_bounds
import abuse_secrets
import abuse_squat
import common
from common import Verdict, latency_line, person

HONEST_BOUND = 2.0          # seconds: every honest request must be answered within this
RATE = 60                   # booking.requestsPerMinutePerAddress for this run
BURST = max(10, RATE // 2)  # the limiter's bucket (Application.swift)
MARK = "ZQX"                # in every payload: searched for in output/


# MARK: raw HTTP

def raw_exchange(port: int, data: bytes, source: str = "127.0.0.3", timeout: float = 5.0, chunks: list[bytes] | None = None):
    """Sends `data` (or `chunks`), reads until the server closes or `timeout`. Returns (bytes, closed)."""
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    received = b""
    closed = False
    deadline = time.monotonic() + timeout
    try:
        for piece in chunks or [data]:
            try:
                sock.sendall(piece)
            except OSError:
                break
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                part = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not part:
                closed = True
                break
            received += part
    finally:
        sock.close()
    return received, closed


def statuses(received: bytes) -> list[int]:
    """Status codes of the responses in a byte stream, read one after the other by their Content-Length."""
    found = []
    while received:
        head_end = received.find(b"\r\n\r\n")
        match = re.match(rb"HTTP/1\.[01] (\d{3}) ", received)
        if head_end < 0 or not match:
            found.append(-1)  # bytes that are not a response
            break
        found.append(int(match.group(1)))
        length = re.search(rb"\r\ncontent-length: *(\d+)", received[:head_end], re.I)
        received = received[head_end + 4 + (int(length.group(1)) if length else 0):]
    return found


# MARK: the honest client

class Honest:
    """One citizen after another through the trusted proxy: a page, the week, a hold, a confirmation."""

    def __init__(self, endpoint: common.Endpoint, slots: list, pages: list[str]):
        self.endpoint = endpoint
        self.slots = slots
        self.pages = pages
        self.phase = "setup"
        self.samples: dict[str, list[float]] = {}
        self.failures: dict[str, list[str]] = {}
        self.codes: list[tuple[str, str]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.n = 0

    def request(self, method: str, path: str, body: dict | None = None, xff: str | None = None):
        headers = {"X-Forwarded-For": xff} if xff else {}
        if body is not None:
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        phase = self.phase
        began = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.endpoint.port, timeout=10)
            connection.request(method, path, body=urllib.parse.urlencode(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
        except (OSError, http.client.HTTPException) as error:
            self.fail(phase, f"{method} {path}: {type(error).__name__} {error} after {time.monotonic() - began:.2f} s")
            return None, b""
        elapsed = time.monotonic() - began
        if response.status < 400:  # latency of answers that served the citizen; the others count as failures
            self.samples.setdefault(phase, []).append(elapsed)
        if elapsed > HONEST_BOUND:
            self.fail(phase, f"{method} {path}: {response.status} after {elapsed:.2f} s")
        return response.status, data

    def fail(self, phase: str, what: str) -> None:
        self.failures.setdefault(phase, []).append(what)
        time.sleep(0.05)  # a citizen retries, not at once

    def run(self) -> None:
        while not self.stopped.is_set():
            self.n += 1
            for path in (self.pages[0], self.pages[self.n % len(self.pages)]):
                status, data = self.request("GET", path)
                if status is not None and (status != 200 or not data.rstrip().endswith(b"</html>")):
                    self.fail(self.phase, f"GET {path}: {status}")
            if not self.slots:
                time.sleep(0.2)
                continue
            service, start = self.slots.pop(0)
            xff = f"10.77.{self.n // 250 % 250}.{self.n % 250 + 1}"
            status, data = self.request("POST", "/api/holds", {"service": service, "slot": str(start)}, xff)
            if status is None:
                continue
            if status != 201:
                self.fail(self.phase, f"hold: {status} {data[:80]!r}")
                continue
            token = json.loads(data)["hold"]["token"]
            someone = person(self.n % 1000)  # (made-up phone numbers run out after 1000)
            status, data = self.request("POST", "/api/bookings", {"hold": token, **someone}, xff)
            if status == 201:
                self.codes.append((json.loads(data)["booking"]["code"], someone["codice_fiscale"]))
            elif status is not None:
                self.fail(self.phase, f"confirm: {status} {data[:80]!r}")
            time.sleep(0.05)

    def report(self, verdict: Verdict, phase: str) -> None:
        samples = self.samples.get(phase, [])
        failures = self.failures.get(phase, [])
        verdict.check(not failures and len(samples) > 0,
                      f"honest client during {phase}: every request answered correctly within {HONEST_BOUND:.0f} s",
                      f"{latency_line(samples)}" + (f"; {len(failures)} failed: {failures[:4]}" if failures else ""))


# MARK: 1. slowloris

def slowloris(port: int, connections: int, duration: float, interval: float, verdict: Verdict) -> None:
    """`connections` sockets from 127.0.0.2, each trickling a request head one byte every `interval` s; a socket
    the server closes is opened again, so the pressure lasts `duration` s."""
    selector = selectors.DefaultSelector()
    lifetimes: list[float] = []
    first_answers: dict[str, int] = {}
    opened = failed_connects = 0
    peak = 0
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000
    rng = random.Random(7)
    state: dict[socket.socket, dict] = {}

    def open_one():
        nonlocal opened, failed_connects
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.bind(("127.0.0.2", 0))
            sock.connect_ex(("127.0.0.1", port))
        except OSError:
            failed_connects += 1
            sock.close()
            return
        opened += 1
        state[sock] = {"opened": time.monotonic(), "sent": 0, "next": time.monotonic() + rng.uniform(0, interval), "answer": b""}
        selector.register(sock, selectors.EVENT_READ)

    reopen_at: list[float] = []  # a socket the server closed is opened again `interval` s later, not at once

    def close_one(sock, by_server=True):
        reopen_at.append(time.monotonic() + interval)
        info = state.pop(sock)
        selector.unregister(sock)
        sock.close()
        if not by_server:
            return
        lifetimes.append(time.monotonic() - info["opened"])
        match = re.match(rb"HTTP/1\.[01] (\d{3})", info["answer"])
        key = match.group(1).decode() if match else "closed without an answer"
        first_answers[key] = first_answers.get(key, 0) + 1

    end = time.monotonic() + duration
    for _ in range(connections):
        open_one()
    while time.monotonic() < end:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                state[sock]["answer"] += data
            else:
                close_one(sock)
        now = time.monotonic()
        for sock, info in list(state.items()):
            if now >= info["next"]:
                try:
                    sent = sock.send(head[info["sent"]:info["sent"] + 1])
                    info["sent"] += sent
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    close_one(sock)
                    continue
                info["next"] = now + interval
        peak = max(peak, len(state))
        due = [t for t in reopen_at if t <= now]
        reopen_at[:] = [t for t in reopen_at if t > now]
        for _ in due:
            if len(state) < connections:
                open_one()
    still_open = len(state)
    for sock in list(state):
        close_one(sock, by_server=False)
    trickling = lifetimes
    print(f"  slowloris: {opened} connections opened ({failed_connects} failed to connect), {still_open} still open at the end, "
          f"server's first answers on the ones it closed: {first_answers}")
    if trickling:
        print(f"  slowloris: lifetime of connections the server closed: {latency_line(trickling)}")
    # The header read deadline (10 s, docs/ARCHITECTURE.md §5) must end every trickling connection.
    verdict.check(all(t <= 15 for t in trickling) and (duration < 15 or len(trickling) > 0),
                  "slowloris: the server ends trickling connections within the 10 s header deadline (+5 s)",
                  f"{len(trickling)} closed by the server, longest {max(trickling, default=0):.1f} s")


# MARK: 2. oversized, 3. smuggling

def expect_one_answer(verdict: Verdict, port: int, what: str, data: bytes, expected: set[int], chunks=None) -> None:
    received, closed = raw_exchange(port, data, chunks=chunks)
    found = statuses(received)
    ok = len(found) == 1 and found[0] in expected and closed
    verdict.check(ok, f"{what} → {'/'.join(map(str, sorted(expected)))}, closed, nothing more",
                  f"answers {found}, {'closed' if closed else 'left open'}" + ("" if ok else f"; {received[:120]!r}"))


def oversized(port: int, verdict: Verdict) -> None:
    host = b"Host: 127.0.0.1\r\n"
    expect_one_answer(verdict, port, "request line of 9 KiB", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + host + b"\r\n", {414})
    expect_one_answer(verdict, port, "request line of 1 MiB", b"GET /?" + b"a" * (1 << 20) + b" HTTP/1.1\r\n" + host + b"\r\n", {414})
    expect_one_answer(verdict, port, "one header field of 17 KiB", b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 17_000 + b"\r\n\r\n", {431})
    fields = b"".join(b"X-F%d: %s\r\n" % (i, b"b" * 300) for i in range(60))
    expect_one_answer(verdict, port, "60 fields of 300 bytes (18 KiB)", b"GET / HTTP/1.1\r\n" + host + fields + b"\r\n", {431})
    fields = b"".join(b"X-F%d: 1\r\n" % i for i in range(101))
    expect_one_answer(verdict, port, "101 header fields", b"GET / HTTP/1.1\r\n" + host + fields + b"\r\n", {431})
    post = b"POST /api/holds HTTP/1.1\r\n" + host + b"Content-Type: application/x-www-form-urlencoded\r\n"
    body = b"service=" + b"a" * (64 * 1024 - 8 + 1)
    expect_one_answer(verdict, port, "body of 64 KiB + 1", post + b"Content-Length: %d\r\n\r\n" % len(body) + body, {413})
    expect_one_answer(verdict, port, "body of 10 MiB announced, 100 KiB sent",
                      post + b"Content-Length: 10485760\r\n\r\n" + b"a" * 100_000, {413})
    expect_one_answer(verdict, port, "Content-Length of 10^30", post + b"Content-Length: 1" + b"0" * 30 + b"\r\n\r\n", {413, 400})
    # Just under the limit is read and answered by the endpoint (an unknown service: 404; asked as JSON, since a
    # browser's form is answered 303 to the page it shows).
    body = b"service=" + b"a" * (64 * 1024 - 8)
    received, _ = raw_exchange(port, post + b"Accept: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                               % len(body) + body)
    verdict.check(statuses(received)[:1] == [404], "body of exactly 64 KiB is read and answered (404 unknown service)",
                  str(statuses(received)))


SECOND = b"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def smuggling(port: int, verdict: Verdict) -> None:
    host = b"Host: 127.0.0.1\r\n"
    start = b"POST /api/holds HTTP/1.1\r\n" + host
    # The counting method sees two answers to two honest pipelined requests.
    received, _ = raw_exchange(port, b"GET / HTTP/1.1\r\n" + host + b"\r\n" + SECOND.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    verdict.check(statuses(received) == [200, 404], "control: two pipelined requests get two answers", str(statuses(received)))
    cases = [
        ("Content-Length with Transfer-Encoding (CL.TE)", start + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SECOND, {400}),
        ("Transfer-Encoding with Content-Length (TE.CL)", start + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n" + SECOND + b"0\r\n\r\n", {400}),
        ("two equal Content-Length", start + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\na=b&c" + SECOND, {400}),
        ("two different Content-Length", start + b"Content-Length: 5\r\nContent-Length: 50\r\n\r\na=b&c" + SECOND, {400}),
        ("Content-Length list '5, 5'", start + b"Content-Length: 5, 5\r\n\r\na=b&c" + SECOND, {400}),
        ("Content-Length '+5'", start + b"Content-Length: +5\r\n\r\na=b&c" + SECOND, {400}),
        ("Content-Length '0x5'", start + b"Content-Length: 0x5\r\n\r\na=b&c" + SECOND, {400}),
        ("Content-Length '-1'", start + b"Content-Length: -1\r\n\r\n" + SECOND, {400}),
        ("Transfer-Encoding: chunked", start + b"Transfer-Encoding: chunked\r\n\r\n5\r\na=b&c\r\n0\r\n\r\n" + SECOND, {411}),
        ("Transfer-Encoding: xchunked", start + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SECOND, {411, 400}),
        ("Transfer-Encoding: chunked, identity", start + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SECOND, {411, 400}),
        ("whitespace before the colon (Content-Length :)", start + b"Content-Length : 5\r\n\r\na=b&c" + SECOND, {400}),
        ("whitespace before the colon (Transfer-Encoding :)", start + b"Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\na=b&c" + SECOND, {400}),
        ("obs-fold (continuation line)", start + b"Content-Length: 5\r\nX-Folded: a\r\n b\r\n\r\na=b&c" + SECOND, {400}),
        ("obs-fold hiding Transfer-Encoding", start + b"Content-Length: 5\r\nX-A: a\r\n\tTransfer-Encoding: chunked\r\n\r\na=b&c" + SECOND, {400}),
        ("bare CR in a field value", start + b"Content-Length: 5\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\na=b&c" + SECOND, {400}),
        ("bare LF line endings", b"POST /api/holds HTTP/1.1\nHost: 127.0.0.1\nContent-Length: 5\n\na=b&c" + SECOND, {400}),
        ("bare LF inside the head", start + b"Content-Length: 5\nTransfer-Encoding: chunked\r\n\r\na=b&c" + SECOND, {400}),
        ("NUL in a field value", start + b"Content-Length: 5\r\nX-A: a\x00b\r\n\r\na=b&c" + SECOND, {400}),
        ("two Host fields", b"GET / HTTP/1.1\r\n" + host + b"Host: evil.example\r\n\r\n" + SECOND, {400}),
        ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n" + SECOND, {400}),
        ("POST without Content-Length", start + b"\r\n" + SECOND, {411}),
        ("absolute URI with spaces", b"GET http://a b/ HTTP/1.1\r\n" + host + b"\r\n" + SECOND, {400}),
        ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\n" + host + b"\r\n" + SECOND, {400, 505}),
    ]
    for what, data, expected in cases:
        expect_one_answer(verdict, port, f"smuggling: {what}", data, expected)
    # The same, trickled a byte at a time across the interesting boundary.
    data = start + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SECOND
    expect_one_answer(verdict, port, "smuggling: CL.TE split across reads", data, {400},
                      chunks=[data[:30], data[30:31], data[31:60], data[60:]])


# MARK: 4. invalid UTF-8

def invalid_utf8(endpoint: common.Endpoint, verdict: Verdict, paths: list[str]) -> None:
    bad = [b"%FF", b"%C0%AF", b"%ED%A0%80", b"%E2%82", b"%F8%88%80%80%80", b"\xff\xfe", b"\xc3\x28", b"%zz", b"%"]
    wrong = []
    count = 0
    for i, path in enumerate(paths):
        for j, sequence in enumerate(bad):
            for body in (b"codice_fiscale=RSSMRA80A01H501U&nome=Ma" + sequence + b"rio", b"na" + sequence + b"me=x"):
                for accept in ("application/json", "text/html"):
                    count += 1
                    source = f"127.0.4.{(count // 20) % 250 + 1}"
                    r = endpoint.request("POST", path, body=body, headers={
                        "Content-Type": "application/x-www-form-urlencoded", "Accept": accept}, source=source)
                    ok = r.status == 400
                    if ok and accept == "application/json":
                        ok = r.json().get("error") == "bad_form" and bool(r.json().get("message"))
                    if not ok:
                        wrong.append((path, sequence, accept, r.status, r.body[:100]))
    verdict.check(not wrong, f"invalid UTF-8 / percent-encoding in form fields → 400 bad_form ({count} requests)", str(wrong[:4]))


# MARK: 5. payloads

PAYLOADS = [
    f"<script>alert('{MARK}1')</script>",
    f"\"><img src=x onerror=alert('{MARK}2')>",
    f"'><svg/onload=alert('{MARK}3')>",
    f"</textarea></title><script>{MARK}4</script>",
    f"\" autofocus onfocus=\"alert('{MARK}5')",
    f"javascript:alert('{MARK}6')",
    f"{{{{t.week.continue}}}}{{{{{{{MARK}7}}}}}}",
    f"' OR '1'='1' -- {MARK}8",
    f"'; DROP TABLE bookings; -- {MARK}9",
    f"Zqx' or 'zqx' -- ",                           # valid as a name: stored, then shown back
    f"1); DELETE FROM holds; SELECT ({MARK}11",
    f"%3Cscript%3E{MARK}12%3C/script%3E",
    f"{MARK}13\r\nSet-Cookie: injected=1\r\nX-Injected: 1",
    f"<!--{MARK}14",
    f"{MARK}15 \u202e<b>ltr</b> \u0000 \ufeff",
    f"=HYPERLINK(\"http://evil.example/\",\"{MARK}16\")",   # a formula for the operator's spreadsheet
]
DANGEROUS = re.compile(r"[<>\"]")


class Attack:
    """Sends payload requests from rotating source addresses (each under the per-address limit); checks answers."""

    def __init__(self, endpoint: common.Endpoint, verdict: Verdict):
        self.endpoint = endpoint
        self.verdict = verdict
        self.count = 0
        self.server_errors: list = []
        self.unescaped: list = []
        self.injected_headers: list = []
        self.statuses: dict[int, int] = {}

    def send(self, path: str, fields: dict, accept: str = "text/html", headers: dict | None = None, raw_path: bool = False,
             source: str | None = None):
        self.count += 1
        source = source or f"127.0.5.{(self.count // 20) % 250 + 1}"
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        all_headers.update(headers or {})
        body = urllib.parse.urlencode(fields).encode()
        try:
            r = common.shown(self.endpoint, self.endpoint.request("POST", path, body=body, headers=all_headers,
                                                                  source=source), all_headers, source)
        except (OSError, http.client.HTTPException) as error:
            self.server_errors.append((path, fields, f"{type(error).__name__}: {error}"))
            return None
        self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
        if r.status >= 500:
            self.server_errors.append((path, {k: v[:40] for k, v in fields.items()}, r.status, r.body[:200]))
        self.inspect(r, f"POST {path} {list(fields)[:3]}")
        return r

    def inspect(self, r, what: str) -> None:
        if any(k.lower().startswith("x-injected") or v == "injected=1" for k, v in r.headers):
            self.injected_headers.append(what)
        content_type = r.header("Content-Type") or ""
        text = r.body.decode("utf-8", "replace")
        if "json" in content_type:
            try:
                json.loads(r.body)
            except ValueError:
                self.unescaped.append((what, "answer is not JSON"))
            return
        if content_type.startswith("text/csv"):
            # The operator's spreadsheet download: data, never rendered (formula prefixes are neutralised by CSV.line).
            if not (r.header("Content-Disposition") or "").startswith("attachment"):
                self.unescaped.append((what, "CSV answer without Content-Disposition: attachment"))
            return
        for payload in PAYLOADS:
            if DANGEROUS.search(payload) and payload in text:
                self.unescaped.append((what, payload))
        # Fragments that only exist unescaped (escaped text keeps "onerror=alert" but never "<img src=x").
        for marker in ("<script>alert", "<img src=x", "<svg/onload", f"<script>{MARK}", "\" autofocus onfocus=\"", "<!--ZQX"):
            if marker in text:
                self.unescaped.append((what, marker))


def payloads(endpoint: common.Endpoint, verdict: Verdict, token: str, slots: list, full: bool) -> None:
    attack = Attack(endpoint, verdict)
    accepts = ["text/html", "application/json"] if full else ["text/html"]
    someone = person(500)

    def new_hold():
        # A start read from the pages may have been taken since: the two attacked services share desks, so a
        # booking on one takes starts of the other. The next one is tried.
        while slots:
            service, start = slots.pop(0)
            r = attack.send("/api/holds", {"service": service, "slot": str(start)}, accept="application/json")
            if r is not None and r.status == 201:
                return r.json()["hold"]["token"]
        raise AssertionError("no free slot left for the payloads")

    stored_codes = []
    for payload in PAYLOADS:
        for accept in accepts:
            # The week's form: service, slot, language, honeypot.
            for field in ("service", "slot", "lang", "website"):
                fields = {"service": "residenza", "slot": "1", "lang": "it"}
                fields[field] = payload
                attack.send("/api/holds", fields, accept)
            attack.send("/api/holds/release", {"hold": payload}, accept)
            attack.send("/api/holds/for", {"hold": payload, "beneficiary": payload}, accept)
            # The form and the summary: one field at a time, the others valid.
            hold = new_hold()
            for field in ["hold", "nome", "cognome", "codice_fiscale", "email", "cellulare", "note", "action"]:
                fields = {"hold": hold, **someone, "lang": "it"}
                fields[field] = payload
                attack.send("/api/review", fields, accept)
            # The confirmation: invalid fields answer the form again; a valid one (notes, a name) makes a booking.
            for field in ["hold", "nome", "cognome", "codice_fiscale", "email", "cellulare", "note"]:
                fields = {"hold": hold, **someone}
                fields[field] = payload
                r = attack.send("/api/bookings", fields, accept)
                if r is not None and r.status in (200, 201):
                    with endpoint.db() as db:
                        code, = db.execute("SELECT code FROM bookings WHERE hold_token = ?", (hold,)).fetchone()
                    stored_codes.append((code, fields["codice_fiscale"], field, payload))
                    hold = new_hold()
            # Cancellation, receipt, accounts, sign-in, forgotten credentials, my bookings.
            for path, names in [("/api/cancellations", ["code", "codice_fiscale"]), ("/api/receipts", ["code", "codice_fiscale"]),
                                ("/api/accounts", ["nome", "cognome", "codice_fiscale", "email", "cellulare"]),
                                ("/api/login", ["codice_fiscale", "password"]), ("/api/credentials", ["codice_fiscale", "contatto"]),
                                ("/api/my-bookings/cancel", ["code"]), ("/api/my-bookings", ["lang"])]:
                for name in names:
                    fields = {n: someone.get(n, "x") for n in names}
                    fields[name] = payload
                    attack.send(path, fields, accept)
            # The office: sign-in and every action, with a valid token but a payload in each field.
            attack.send("/api/operator/login", {"token": payload}, accept)
            for action, names in [("agenda", ["date", "entry", "format"]), ("outcome", ["code", "outcome"]),
                                  ("cancel", ["code", "reason"]), ("blocks", ["service", "date", "from", "to", "desks", "reason"]),
                                  ("blocks/remove", ["id"]), ("stats", ["from", "to"])]:
                for name in names:
                    fields = {"service": "residenza", "date": "2026-12-15", "from": "09:00", "to": "09:30", "desks": "1",
                              "reason": "riunione", "code": stored_codes[0][0] if stored_codes else "ABCDEFGH", "outcome": "done",
                              "id": "1", "entry": "residenza"}
                    fields = {n: fields.get(n, "x") for n in names}
                    fields[name] = payload
                    attack.send(f"/api/operator/{action}", fields, accept, headers={"Authorization": f"Bearer {token}"})
        # Headers and the path (a header value cannot carry CR, LF or NUL: the smuggling cases send those raw).
        if re.search(r"[\r\n\x00]", payload):
            continue
        attack.send("/api/holds", {"service": "residenza", "slot": "1"}, headers={"Accept-Language": payload})
        attack.send("/api/my-bookings", {}, headers={"Cookie": f"sportello_session={payload}"})
        attack.send("/api/operator/agenda", {}, headers={"Cookie": f"sportello_operator={payload}"})
        attack.send("/api/holds", {"service": "residenza", "slot": "1"}, headers={"X-Forwarded-For": payload}, source="127.0.0.1")
        attack.send("/api/holds", {"service": "residenza", "slot": "1"}, headers={"Origin": payload})
        attack.send("/api/holds", {"service": "residenza", "slot": "1"}, headers={"Referer": payload})
        attack.send("/api/" + urllib.parse.quote(payload, safe=""), {})
        r = endpoint.request("GET", "/" + urllib.parse.quote(payload, safe=""), source="127.0.0.3")
        attack.inspect(r, "GET /<payload>")

    # A booking whose notes (and a name) carry payloads: its receipt, the operator's agenda, the mail.
    for code, codice_fiscale, field, payload in stored_codes:
        attack.send("/api/receipts", {"code": code, "codice_fiscale": codice_fiscale})
    with endpoint.db() as db:
        booking_days = [row[0] for row in db.execute(
            "SELECT DISTINCT date(slot_start, 'unixepoch', 'localtime') FROM bookings WHERE notes LIKE ? OR given_name LIKE ?",
            (f"%{MARK}%", "Zqx%"))]
    formulas = []
    for day in booking_days:
        attack.send("/api/operator/agenda", {"date": day}, headers={"Authorization": f"Bearer {token}"})
        r = attack.send("/api/operator/agenda", {"date": day, "format": "csv"}, headers={"Authorization": f"Bearer {token}"})
        if r is not None and r.status == 200:
            # As Italian Excel reads it: ";"-separated after a byte order mark; a formula may follow leading spaces.
            formulas += [cell for row in csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";") for cell in row
                         if cell.lstrip(" ")[:1] in ("=", "+", "-", "@")]
    verdict.check(not formulas, "payloads: no cell of the agenda CSV starts a spreadsheet formula", str(formulas[:3]))
    by_field: dict[str, int] = {}
    for _, _, field, _ in stored_codes:
        by_field[field] = by_field.get(field, 0) + 1
    print(f"  payloads: {attack.count} requests, statuses {dict(sorted(attack.statuses.items()))}; "
          f"bookings made with a payload in {by_field}; agenda read for {len(booking_days)} days")
    verdict.check(not attack.server_errors, "payloads: no 5xx and no dropped connection", str(attack.server_errors[:4]))
    verdict.check(not attack.unescaped, "payloads: never unescaped in an HTML answer, JSON answers are JSON", str(attack.unescaped[:4]))
    verdict.check(not attack.injected_headers, "payloads: no header injected into an answer", str(attack.injected_headers[:4]))
    verdict.check(len(stored_codes) > 0, "payloads: some were stored as data (notes, names), so the pages showing them were checked",
                  f"{len(stored_codes)} bookings")
    # Mail built from those bookings: the HTML part escapes them too.
    time.sleep(2)
    raw_in_mail = []
    for path in endpoint.mail_files():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                html = part.get_content()
                raw_in_mail += [(path.name, p) for p in PAYLOADS if DANGEROUS.search(p) and p in html]
    verdict.check(not raw_in_mail, f"payloads: never unescaped in the HTML of a mail ({len(endpoint.mail_files())} messages)",
                  str(raw_in_mail[:3]))
    return stored_codes


# MARK: 6. flood

def flood(port: int, duration: float, limit: int, verdict: Verdict) -> None:
    """Four keep-alive connections from 127.0.0.2 posting as fast as they can, for `duration` s or `limit` requests."""
    results: list[tuple[float, int, dict, str | None]] = []
    lock = threading.Lock()
    began = time.monotonic()
    stop = began + duration

    def worker():
        connection = None
        while time.monotonic() < stop and len(results) < limit:
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
                connection.request("POST", "/api/holds", body="service=flood&slot=1",
                                   headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
                response = connection.getresponse()
                data = response.read()
                try:
                    body = json.loads(data)
                except ValueError:
                    body = {"raw": data[:100]}
                with lock:
                    results.append((time.monotonic() - began, response.status, body, response.getheader("Retry-After")))
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    results.append((time.monotonic() - began, 0, {"error": str(error)}, None))
                connection = None
                time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    passed = [r for r in results if r[1] != 429]
    limited = [r for r in results if r[1] == 429]
    first = min((r[0] for r in limited), default=None)
    allowed = BURST + int(elapsed * RATE / 60) + 2
    print(f"  flood: {len(results)} POSTs in {elapsed:.1f} s from 127.0.0.2: {len(passed)} let through "
          f"(statuses {sorted({r[1] for r in passed})}), {len(limited)} answered 429"
          + (f", the first after {first:.2f} s" if first is not None else ""))
    verdict.check(len(limited) > 0 and len(passed) <= allowed,
                  f"flood: 429 once past the limit ({RATE}/min, burst {BURST}): at most {allowed} let through", f"{len(passed)} let through")
    unclear = [r for r in limited if r[2].get("error") != "rate_limited" or not r[2].get("message") or r[3] is None]
    verdict.check(bool(limited) and not unclear, "flood: each 429 says rate_limited with a message and Retry-After",
                  (f"e.g. {limited[0][2]} Retry-After {limited[0][3]}" if limited else "") + (f"; unclear {unclear[:2]}" if unclear else ""))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.2", 0))
    connection.request("POST", "/api/holds", body="service=flood&slot=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    verdict.check(response.status == 429 and "Troppe richieste" in text and text.rstrip().endswith("</html>"),
                  "flood: a browser gets a 429 page that says «Troppe richieste»", f"{response.status}")
    verdict.check(not [r for r in results if r[1] >= 500 or r[1] == 0], "flood: no 5xx, no dropped connection",
                  str([r for r in results if r[1] >= 500 or r[1] == 0][:3]))


# MARK: main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="bounded run for CI (under 3 minutes)")
    parser.add_argument("--binary", help="sportello binary (default $SPORTELLO_BIN or .build/debug/sportello)")
    parser.add_argument("--slowloris", type=int, help="slowloris connections (default 300 quick, 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed at the end)")
    args = parser.parse_args()
    binary = common.use_binary(args.binary)
    files = common.raise_file_limit()
    connections = args.slowloris or (300 if args.quick else 1000)
    loris_seconds = 16 if args.quick else 45
    flood_seconds = 6 if args.quick else 20
    print(f"hostile: {binary}, open files {files}, slowloris {connections} connections for {loris_seconds} s", flush=True)

    def configure(config):
        config["booking"]["requestsPerMinutePerAddress"] = RATE
        config["booking"]["trustedProxies"] = ["127.0.0.1"]
        config["booking"]["maxActiveBookingsPerPerson"] = None
    endpoint = common.Endpoint("hostile", configure=configure)
    verdict = Verdict()
    honest = None
    began = time.monotonic()
    try:
        endpoint.start_endpoint()
        token = re.search(r"op\d*-\S+", endpoint.sportello("operator", "add", "robot", "--scope", "*")).group(0)
        # The honest citizen books services that share no desk with the attacked ones (the demo anagrafe's three
        # share two desks), so an attacker's booking never takes the honest one's place.
        honest_slots = common.free_slots(endpoint.output, ["stato-civile", "tari"])
        attack_slots = common.free_slots(endpoint.output, ["residenza", "carta-identita"])
        random.Random(1).shuffle(attack_slots)
        weeks = sorted((endpoint.output / "servizi/certificati").glob("20*-W*.html"))
        pages = ["/", "/servizi/certificati/", *[f"/servizi/certificati/{w.name}" for w in weeks[:4]]]
        honest = Honest(endpoint, honest_slots, pages)
        honest.thread.start()

        def phase(name: str, action) -> None:
            print(f"\n{name}", flush=True)
            honest.phase = name
            t0 = time.monotonic()
            action()
            if time.monotonic() - t0 < 2:
                time.sleep(2 - (time.monotonic() - t0))  # the honest client gets a few rounds in every phase
            honest.phase = "between"
            honest.report(verdict, name)

        phase("baseline", lambda: time.sleep(3))
        phase("1. slowloris", lambda: slowloris(endpoint.port, connections, loris_seconds, 3.0, verdict))
        phase("after slowloris", lambda: time.sleep(2))
        phase("2. oversized requests", lambda: oversized(endpoint.port, verdict))
        phase("3. request smuggling", lambda: smuggling(endpoint.port, verdict))
        api = ["/api/holds", "/api/holds/release", "/api/review", "/api/bookings", "/api/cancellations", "/api/receipts",
               "/api/accounts", "/api/login", "/api/credentials", "/api/operator/login"]
        phase("4. invalid UTF-8", lambda: invalid_utf8(endpoint, verdict, api))
        with endpoint.db() as db:
            before = {code for (code,) in db.execute("SELECT code FROM bookings")}
        stored: list = []
        phase("5. XSS and SQL payloads", lambda: stored.extend(payloads(endpoint, verdict, token, attack_slots, not args.quick)))
        phase("6. flood from one address", lambda: flood(endpoint.port, flood_seconds, 3000 if args.quick else 20000, verdict))
        phase("7. abuse: far dates and extreme integers", lambda: abuse_bounds.run(endpoint, verdict, args.quick))
        phase("8. abuse: timing, sessions, proxy secret, headers, files", lambda: abuse_secrets.run(endpoint, verdict, token, args.quick))
        phase("9. abuse: squatting and SMS pumping (own endpoint, shipped limits)", lambda: abuse_squat.run(verdict, args.quick, args.keep))
        honest.stopped.set()
        honest.thread.join(30)
        verdict.check(endpoint.alive(), "the server is still running")

        # The database: intact, the honest bookings all there, payloads stored as plain data.
        with endpoint.db() as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            codes = {code for (code,) in db.execute("SELECT code FROM bookings")}
            verbatim = db.execute("SELECT COUNT(*) FROM bookings WHERE notes IN (%s)" % ",".join("?" * len(PAYLOADS)),
                                  [common.re.sub(r"\s+", " ", p).strip() for p in PAYLOADS]).fetchone()[0]
            holds = db.execute("SELECT COUNT(*) FROM holds").fetchone()[0]
        verdict.check(integrity == "ok" and {"bookings", "holds", "accounts", "outbox", "audit", "operators", "sessions"} <= tables,
                      "database intact (integrity_check, every table there)", f"{integrity}; {len(codes)} bookings, {holds} holds")
        honest_codes = {code for code, _ in honest.codes}
        verdict.check(before <= codes and honest_codes <= codes,
                      f"every booking made before and during the attacks is still there ({len(honest_codes)} by the honest client)")
        print(f"  {verbatim} bookings hold a payload verbatim in their notes (stored as data, not run)")

        # output/: nothing of the payloads, no truncated page.
        found = []
        for path in endpoint.output.rglob("*"):
            if path.is_file():
                data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
                if MARK.encode() in data or b"Zqx" in data:
                    found.append(str(path.relative_to(endpoint.output)))
        verdict.check(not found, "nothing of the payloads in output/", str(found[:5]))
        pages_check = common.check_output(endpoint.output)
        verdict.check(not pages_check["problems"], f"output/ whole ({pages_check['html']} pages)", str(pages_check["problems"][:3]))

        print("\nhonest client (127.0.0.1 as the trusted proxy), latency per phase:")
        for name, samples in honest.samples.items():
            print(f"  {name:28} {latency_line(samples)}  failures {len(honest.failures.get(name, []))}")
        print(f"  bookings completed: {len(honest.codes)}")
        print(f"  took {time.monotonic() - began:.0f} s")
    finally:
        if honest:
            honest.stopped.set()
        where = endpoint.finish(args.keep)
        print(f"logs: {where}")
    verdict.exit()


if __name__ == "__main__":
    main()
