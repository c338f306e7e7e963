"""Hostile clients against `sportello serve` while an honest citizen keeps booking.

Attacks come from 127.0.0.2 (not a trusted proxy); the honest citizen comes from 127.0.0.1 as through
nginx (X-Forwarded-For with its own address). Each phase checks what the attackers get and that the honest
citizen was answered correctly, within 2 s, all along; figures are printed per phase.

    .build/python/bin/python Tests/robustness/hostile.py [--quick]

Exits non-zero on the first failed check. Needs a built `sportello` (SPORTELLO_BIN, default .build/debug).
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import socket
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse

from support import Stack, check, free_slots, started_endpoint, summary  # noqa: E402
from people import person  # noqa: E402  (Tests/e2e, on the path through support)

ATTACKER = "127.0.0.2"




def raw(port: int, data: bytes, wait: float = 5.0, source: str = ATTACKER) -> tuple[bytes, bool]:
    """Sends bytes on a fresh connection; returns everything read until the server closes (or `wait` ends)
    and whether the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait, source_address=(source, 0)) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        received = b""
        deadline = time.monotonic() + wait
        closed = False
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
        return received, closed


def post(stack: Stack, path: str, fields: dict, as_json: bool = False, forwarded: str = "10.9.0.1"):
    """A form POST straight to the endpoint, as nginx forwards a citizen's (no Origin: an API client)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": forwarded}
    if as_json:
        headers["Accept"] = "application/json"
    return stack.request("POST", path, body=urllib.parse.urlencode(fields).encode(), headers=headers, port=stack.upstream_port)


def status_of(response: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3})", response)
    return int(match.group(1)) if match else -1


class HonestCitizen(threading.Thread):
    """Browses and holds places as a citizen behind nginx would, timing every answer."""

    def __init__(self, stack: Stack, slots: list[tuple[str, int]]):
        super().__init__(daemon=True)
        self.stack = stack
        self.slots = slots
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.running = True
        self.phase_started = time.monotonic()
        self.lock = threading.Lock()
        self.n = 0

    def timed(self, method: str, path: str, expect: set[int], body: bytes | None = None, headers: dict | None = None):
        started = time.monotonic()
        try:
            response = self.stack.request(method, path, body=body, headers=headers, port=self.stack.upstream_port)
            elapsed = time.monotonic() - started
            ok = response.status in expect and elapsed < 2.0
            with self.lock:
                self.latencies.append(elapsed)
                if not ok:
                    self.failures.append(f"{method} {path}: {response.status} after {elapsed:.2f} s")
            return response
        except OSError as error:
            with self.lock:
                self.failures.append(f"{method} {path}: {error}")
            return None

    def run(self) -> None:
        while self.running:
            self.n += 1
            forwarded = {"X-Forwarded-For": f"10.1.{self.n // 250 % 250}.{self.n % 250 + 1}"}
            self.timed("GET", "/", {200})
            service, slot = random.choice(self.slots)
            form = urllib.parse.urlencode({"service": service, "slot": slot}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", **forwarded}
            held = self.timed("POST", "/api/holds", {201, 409}, body=form, headers=headers)
            if held is not None and held.status == 201:
                token = held.json()["hold"]["token"]
                self.timed("POST", "/api/holds/release", {200}, body=urllib.parse.urlencode({"hold": token}).encode(),
                           headers=headers)
            time.sleep(0.05)

    def phase(self) -> tuple[list[float], list[str]]:
        """Latencies and failures since the last call."""
        with self.lock:
            latencies, failures = self.latencies, self.failures
            self.latencies, self.failures = [], []
            self.phase_started = time.monotonic()
        return latencies, failures


def report_honest(citizen: HonestCitizen, name: str) -> None:
    # A phase lasts at least two seconds, so the citizen's requests interleave with the attack.
    time.sleep(max(0.0, 2.0 - (time.monotonic() - citizen.phase_started)))
    latencies, failures = citizen.phase()
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"  honest citizen during {name}: {len(latencies)} requests, median {statistics.median(ordered) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
    check(bool(latencies) and not failures, f"the honest citizen was served all through {name} ({len(latencies)} answers)"
          + (f" (failures: {failures[:3]})" if failures else ""))




def slowloris(stack: Stack, connections: int, duration: float) -> None:
    print(f"slowloris: {connections} connections from {ATTACKER}, a header byte every 2 s, for {duration:.0f} s")
    sockets: list[socket.socket] = []
    refused = 0
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", stack.upstream_port), timeout=5, source_address=(ATTACKER, 0))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        sockets.append(s)
    end = time.monotonic() + duration
    answers: dict[int, int] = {}
    alive = list(sockets)
    while time.monotonic() < end and alive:
        time.sleep(2)
        still = []
        for s in alive:
            try:
                s.setblocking(False)
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    data = None
                s.setblocking(True)
                if data is not None:
                    answers[status_of(data)] = answers.get(status_of(data), 0) + 1
                    s.close()
                    continue
                s.sendall(b"X")
                still.append(s)
            except OSError:
                s.close()
        alive = still
    for s in alive:
        s.close()
    refused = answers.get(429, 0)
    print(f"  answers to the attacker: {answers}; still open at the end: {len(alive)}")
    check(refused >= connections - 64, f"connections beyond 64 from one address are refused with 429 ({refused})")
    check(answers.get(408, 0) + len(alive) <= 64, "the admitted ones are held at most until their header deadline (408)")


def oversized(stack: Stack) -> None:
    print("oversized request line, header block, header count and body")
    port = stack.upstream_port
    cases = [
        ("request line of 9 KiB", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("header block of 17 KiB", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n", 431),
        ("101 header fields", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n", 431),
        ("body of 70,000 bytes", b"POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                 b"Content-Length: 70000\r\n\r\n" + b"s" * 1000, 413),
    ]
    for name, data, expected in cases:
        response, closed = raw(port, data)
        check(status_of(response) == expected and closed, f"{name}: {expected} and closed (got {status_of(response)})")


def smuggling(stack: Stack) -> None:
    print("request smuggling attempts")
    port = stack.upstream_port
    follow = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    cases = [
        ("Content-Length with Transfer-Encoding", b"POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + follow, {400}),
        ("two Content-Length", b"POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd" + follow, {400}),
        ("chunked body", b"POST /api/holds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n" + follow, {411}),
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" + follow, {400}),
        ("bare CR", b"GET / HTTP/1.1\r\nHost: x\rX-A: a\r\n\r\n" + follow, {400}),
        ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n" + follow, {400}),
        ("non-digit Content-Length", b"POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd" + follow, {400}),
        ("no Host in HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n" + follow, {400}),
    ]
    for name, data, expected in cases:
        response, closed = raw(port, data)
        answers = response.count(b"HTTP/1.1 ")
        check(status_of(response) in expected and closed and answers == 1,
              f"{name}: {sorted(expected)[0]}, closed, no second answer (got {status_of(response)}, {answers} answers)")


def invalid_utf8(stack: Stack) -> None:
    print("invalid UTF-8 in form fields")
    body = b"service=%FF%FE&slot=1&nome=%C3%28"
    request = (b"POST /api/holds HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)) + body
    response, _ = raw(stack.upstream_port, request)
    check(status_of(response) == 400 and b'"bad_form"' in response, f"answered 400 bad_form (got {status_of(response)})")


PAYLOADS = [
    "<script>alert('sportello')</script>",
    "\"><img src=x onerror=alert(1)>",
    "' OR '1'='1'; DROP TABLE bookings; --",
    "Robert'); DROP TABLE holds;--",
    "{{#values}}{{{.}}}{{/values}}",
    "javascript:alert(1)",
    "\u202e\u0000%00",
]
# Live markup: what the payloads become when they reach a page unescaped (escaped text is harmless).
DANGEROUS = [b"<script>alert(", b"<img src=x onerror"]


def payloads_everywhere(stack: Stack, slots: list[tuple[str, int]]) -> None:
    print(f"XSS and SQL payloads in every field of every POST ({len(PAYLOADS)} payloads)")
    base = {**person(7), "service": "", "slot": "", "hold": "", "code": "ABCDEFGH", "password": "x", "token": "x",
            "reason": "x", "beneficiario": "", "lang": "it", "action": ""}
    endpoints = ["holds", "holds/release", "holds/for", "review", "bookings", "cancellations", "accounts", "login", "logout",
                 "credentials", "my-bookings", "my-bookings/cancel", "receipts", "operator/login", "operator/agenda",
                 "operator/outcome", "operator/cancel", "operator/blocks", "operator/stats"]
    served = 0
    problems = []
    for endpoint in endpoints:
        for field in base:
            for payload in PAYLOADS:
                fields = dict(base)
                fields[field] = payload
                for as_json in (False, True):
                    forwarded = f"10.2.{served // 250 % 250}.{served % 250 + 1}"
                    response = post(stack, f"/api/{endpoint}", fields, as_json, forwarded)
                    served += 1
                    if response.status >= 500:
                        problems.append(f"{endpoint} {field}: {response.status}")
                    if any(marker in response.body for marker in DANGEROUS):
                        problems.append(f"{endpoint} {field}: payload unescaped in the answer")
    check(not problems, f"{served} answers, none 5xx, no payload unescaped" + (f" ({problems[:5]})" if problems else ""))

    # A booking that stores a payload in its free-text note, then every page that shows it.
    service, slot = slots[len(slots) // 2]
    held = post(stack, "/api/holds", {"service": service, "slot": slot}, True, "10.3.0.1")
    stored = False
    if held.status == 201:
        fields = {**person(11), "hold": held.json()["hold"]["token"], "note": PAYLOADS[0] + PAYLOADS[1]}
        booked = post(stack, "/api/bookings", fields, False, "10.3.0.1")
        stored = booked.status == 201
        if not stored:
            print(f"  (booking answered {booked.status}: {booked.text[:300]})")
        code = re.search(r"\b[A-HJ-NP-Z2-9]{8}\b", booked.text)

        check(stored and not any(m in booked.body for m in DANGEROUS), "a booking whose note holds markup: its confirmation escapes it")
        if code:
            receipt = post(stack, "/api/receipts", {"code": code.group(0), "codice_fiscale": fields["codice_fiscale"]}, False, "10.3.0.1")
            check(receipt.status == 200 and html.escape(PAYLOADS[0], quote=False)[:20] in receipt.text
                  and not any(m in receipt.body for m in DANGEROUS), "its receipt shows the note escaped")
    else:
        check(False, f"a place could be held for the stored-payload booking ({held.status})")

    database = sqlite3.connect(f"file:{stack.database}?mode=ro", uri=True)
    tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    check({"bookings", "holds", "audit_log"} <= tables or {"bookings", "holds"} <= tables, "every table is still there")
    check(database.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the database passes integrity_check")
    database.close()
    leaked = [str(p) for p in stack.output.rglob("*") if p.is_file() and p.suffix in (".html", ".js", ".css")
              and any(m in p.read_bytes() for m in DANGEROUS + [b"DROP TABLE"])]
    check(not leaked, f"nothing of it in output/ ({leaked[:3]})")


def flood(stack: Stack, limit: int) -> None:
    print(f"a flood of POSTs from {ATTACKER} (limit {limit} a minute per address)")
    sock = socket.create_connection(("127.0.0.1", stack.upstream_port), timeout=5, source_address=(ATTACKER, 0))
    body = b"service=carta-identita&slot=1"
    request = (b"POST /api/holds HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
    statuses: dict[int, int] = {}
    clear = True
    reader = sock.makefile("rb")
    for _ in range(300):
        sock.sendall(request)
        line = reader.readline()
        status = int(line.split()[1])
        length = 0
        retry_after = None
        while True:
            header = reader.readline()
            if header in (b"\r\n", b""):
                break
            name, _, value = header.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            if name.lower() == "retry-after":
                retry_after = value.strip()
        answer = json.loads(reader.read(length))
        statuses[status] = statuses.get(status, 0) + 1
        if status == 429 and (answer.get("error") != "rate_limited" or not answer.get("message") or not retry_after):
            clear = False
    sock.close()
    print(f"  answers: {statuses}")
    check(statuses.get(429, 0) >= 300 - limit, "beyond the limit the flood gets 429")
    check(clear, "every 429 says rate_limited, with a message and Retry-After")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the bounded version CI runs")
    arguments = parser.parse_args()
    limit = 60
    stack = started_endpoint("hostile", booking={"requestsPerMinutePerAddress": limit}, notifications={"email": False})
    citizen = None
    try:
        slots = free_slots(stack)
        citizen = HonestCitizen(stack, slots)
        citizen.start()
        time.sleep(1)
        report_honest(citizen, "a quiet moment")
        slowloris(stack, 300 if arguments.quick else 1000, 14 if arguments.quick else 40)
        report_honest(citizen, "slowloris")
        oversized(stack)
        smuggling(stack)
        invalid_utf8(stack)
        report_honest(citizen, "malformed requests")
        payloads_everywhere(stack, slots)
        report_honest(citizen, "payloads")
        flood(stack, limit)
        report_honest(citizen, "the flood")
    finally:
        if citizen:
            citizen.running = False
            citizen.join(timeout=5)
        stack.stop()
    return summary("hostile clients")


if __name__ == "__main__":
    sys.exit(main())
