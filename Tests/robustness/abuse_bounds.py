"""Abuse: numbers no route should choke on (issue 13, point 1), run by hostile.py as one phase.

 - extreme slot integers (Int64's ends, the first that overflowed RomeTime, past 64 bits) on /api/holds, JSON and
   HTML: a 4xx (slot_out_of_window or unknown_slot) at once, the process alive;
 - real schedule slots in 2300 and 2500 (the old "nearest free slots" search walked back from them day by day):
   a 4xx within FAR_BOUND, no slower than a slot of next week;
 - extreme numbers, dates and ids on every other route that takes them (release, cancellation, receipts, operator
   agenda, blocks, unblock, statistics): no 5xx, answered within FAR_BOUND;
 - an honest citizen holding and releasing slots while four attackers send far dates: every answer within
   HONEST_BOUND;
 - a body dribbled a byte every 5 s (never silent for bodyIdle) ends with 408 and a close at the whole-request
   deadline (HTTPLimits.requestDeadline, 30 s), checked in the background while the rest runs.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import statistics
import threading
import time
import urllib.parse
from datetime import datetime, timedelta

import common

FAR_BOUND = 0.5        # seconds: median answer to a far date or an extreme integer
WORST_BOUND = 2.0      # seconds: slowest such answer (a busy CI machine)
HONEST_BOUND = 2.0     # seconds: every honest request while attackers send far dates
REQUEST_DEADLINE = 30  # HTTPLimits.requestDeadline
EXTREMES = ["9223372036854775807", "9223372036854772208", "9223372036854775806", "-9223372036854775808", "-9223372036854775807",
            "18446744073709551616", "99999999999999999999999999", "-1", "0", "253402300800", "-62135596800"]


class Client:
    """Requests through the trusted proxy (127.0.0.1), each with its own X-Forwarded-For, so the per-address limit
    of the hostile run does not answer 429 to the checks."""

    def __init__(self, port: int):
        self.port = port
        self.n = 0

    def post(self, path: str, fields: dict, accept_json: bool = True, headers: dict | None = None):
        self.n += 1
        sent = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": f"10.13.{self.n // 250 % 250}.{self.n % 250 + 1}",
                **({"Accept": "application/json"} if accept_json else {}), **(headers or {})}
        began = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("POST", path, body=urllib.parse.urlencode(fields), headers=sent)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            status = response.status
            location = response.getheader("Location") or ""
            if status == 303 and location.startswith("/api/page?p="):
                # A browser's form: the page it answered, shown again by GET (redirect-after-POST).
                page = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []
                        if c.startswith("sportello_pages=")]
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                shown = {k: v for k, v in sent.items() if k.lower() not in ("content-type", "cookie")}
                if page:
                    shown["Cookie"] = "; ".join(page)
                connection.request("GET", location, headers=shown)
                response = connection.getresponse()
                status, data = response.status, response.read()
                connection.close()
            return status, data, time.monotonic() - began
        except (OSError, http.client.HTTPException) as error:
            return 0, f"{type(error).__name__}: {error}".encode(), time.monotonic() - began


def error_code(data: bytes) -> str:
    try:
        return json.loads(data).get("error", "")
    except ValueError:
        return ""


def far_slots(slot: int, years: list[int]) -> list[int]:
    """The same weekday and local time as `slot`, in the second week of November of each year (no national holiday)."""
    local = datetime.fromtimestamp(slot, common.ROME)
    found = []
    for year in years:
        day = datetime(year, 11, 8, local.hour, local.minute, tzinfo=common.ROME)
        day += timedelta(days=(local.weekday() - day.weekday()) % 7)
        found.append(int(day.timestamp()))
    return found


def dribble(port: int, result: dict) -> None:
    """A POST whose 100-byte body comes one byte every 5 s: the server must answer 408 and close at its deadline."""
    began = time.monotonic()
    sock = socket.socket()
    sock.settimeout(1)
    try:
        sock.bind(("127.0.0.5", 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"POST /api/holds HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\n")
        received = b""
        next_byte = time.monotonic() + 5
        while time.monotonic() - began < REQUEST_DEADLINE + 15:
            try:
                part = sock.recv(65536)
                if not part:
                    result["closed"] = True
                    break
                received += part
            except socket.timeout:
                pass
            except ConnectionResetError:
                result["closed"] = True
                break
            if time.monotonic() >= next_byte and not received:
                try:
                    sock.sendall(b"x")
                except OSError:
                    pass
                next_byte += 5
        match = re.match(rb"HTTP/1\.1 (\d{3}) ", received)
        result["status"] = int(match.group(1)) if match else None
    except OSError as error:
        result["error"] = str(error)
    finally:
        sock.close()
        result["seconds"] = time.monotonic() - began


def run(endpoint: common.Endpoint, verdict: common.Verdict, quick: bool) -> None:
    client = Client(endpoint.port)
    dribbled: dict = {}
    dribbler = threading.Thread(target=dribble, args=(endpoint.port, dribbled), daemon=True)
    dribbler.start()

    # 1. Extreme integers as the slot of a hold.
    wrong = []
    times = []
    for service in ["certificati", "stato-civile", "carta-identita"]:
        for value in EXTREMES:
            for accept_json in (True, False):
                status, data, seconds = client.post("/api/holds", {"service": service, "slot": value}, accept_json)
                times.append(seconds)
                expected = ("slot_out_of_window", "unknown_slot") if accept_json else ("",)
                if not 400 <= status < 500 or (accept_json and error_code(data) not in expected):
                    wrong.append(f"{service} {value} {'json' if accept_json else 'html'}: {status} {data[:80]!r}")
    verdict.check(not wrong and endpoint.alive(), f"extreme slot integers on /api/holds → 4xx, the process alive ({len(times)} requests)",
                  str(wrong[:4]))

    # 2. Real schedule slots far in the future.
    slots = common.free_slots(endpoint.output, ["stato-civile", "carta-identita"])
    far_times = []
    wrong = []
    near = []
    for service, slot in slots[:2]:
        for far in far_slots(slot, [2300, 2500, 9999]):
            status, data, seconds = client.post("/api/holds", {"service": service, "slot": str(far)})
            far_times.append(seconds)
            if status != 422 or error_code(data) != "slot_out_of_window":
                wrong.append(f"{service} {far}: {status} {data[:80]!r}")
        status, data, seconds = client.post("/api/holds", {"service": service, "slot": str(slot)})
        near.append(seconds)
        if status == 201:
            client.post("/api/holds/release", {"hold": json.loads(data)["hold"]["token"]})
    times += far_times
    verdict.check(bool(far_times) and not wrong, "slots in 2300, 2500 and 9999 → 422 slot_out_of_window", str(wrong[:4]))
    median = statistics.median(far_times) if far_times else float("nan")
    verdict.check(bool(far_times) and median < FAR_BOUND and max(far_times) < WORST_BOUND,
                  f"far slots answered at once (median under {FAR_BOUND} s, none over {WORST_BOUND} s)",
                  f"{common.latency_line(far_times)}; a slot in the window: {common.latency_line(near)}")

    # 3. Extreme numbers, dates and ids on the other routes that take them.
    token = re.search(r"op\d*-\S+", endpoint.sportello("operator", "add", "bounds", "--scope", "*")).group(0)
    operator = {"Authorization": f"Bearer {token}"}
    cases = [("/api/holds/release", {"hold": v}, {}) for v in EXTREMES[:4]]
    cases += [("/api/cancellations", {"code": v, "codice_fiscale": v}, {}) for v in EXTREMES[:4]]
    cases += [("/api/receipts", {"code": v, "codice_fiscale": "RSSMRA85T10A562S"}, {}) for v in EXTREMES[:4]]
    cases += [("/api/review", {"hold": v}, {}) for v in EXTREMES[:2]]
    cases += [("/api/operator/agenda", {"date": d}, operator) for d in ["9999-12-31", "0000-01-01", "2026-02-30", "99999-01-01", "-001-01-01"]]
    cases += [("/api/operator/stats", {"from": "0000-01-01", "to": "9999-12-31"}, operator)]
    cases += [("/api/operator/blocks", {"service": "certificati", "date": d, "from": "08:00", "to": "24:00", "desks": v, "reason": "bounds"}, operator)
              for d in ["9999-12-31", "0000-01-01"] for v in EXTREMES[:4]]
    cases += [("/api/operator/blocks/remove", {"id": v}, operator) for v in EXTREMES]
    wrong = []
    route_times = []
    for path, fields, headers in cases:
        status, data, seconds = client.post(path, fields, headers=headers)
        route_times.append(seconds)
        if not (200 <= status < 500):
            wrong.append(f"{path} {fields}: {status} {data[:80]!r}")
    times += route_times
    verdict.check(not wrong and endpoint.alive(), f"extreme numbers, dates and ids on the other routes: no 5xx ({len(cases)} requests)",
                  str(wrong[:4]))
    verdict.check(statistics.median(times) < FAR_BOUND and max(times) < WORST_BOUND,
                  f"every such answer quick (median under {FAR_BOUND} s, none over {WORST_BOUND} s)", common.latency_line(times))

    # 4. An honest citizen while four attackers send far dates.
    stop = threading.Event()
    attacks = []

    def attacker(n: int) -> None:
        mine = Client(endpoint.port)
        mine.n = 100_000 * (n + 1)
        far = far_slots(slots[0][1], [2100, 2300, 2500, 2900]) if slots else [10413792000]
        i = 0
        while not stop.is_set():
            status, _, _ = mine.post("/api/holds", {"service": slots[0][0] if slots else "stato-civile", "slot": str(far[i % len(far)] + 86_400 * 7 * n)},
                                     accept_json=i % 2 == 0)
            attacks.append(status)
            i += 1

    threads = [threading.Thread(target=attacker, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    honest = []
    failures = []
    until = time.monotonic() + (4 if quick else 12)
    candidates = slots[2:] or slots
    i = 0
    while time.monotonic() < until and candidates:
        service, slot = candidates[i % len(candidates)]
        i += 1
        status, data, seconds = client.post("/api/holds", {"service": service, "slot": str(slot)})
        honest.append(seconds)
        if status == 201:
            status, data, seconds = client.post("/api/holds/release", {"hold": json.loads(data)["hold"]["token"]})
            honest.append(seconds)
        elif status not in (409,):
            failures.append(f"{status} {data[:80]!r}")
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(30)
    verdict.check(bool(honest) and not failures and max(honest) < HONEST_BOUND and not [s for s in attacks if s >= 500 or s == 0],
                  f"an honest citizen while 4 attackers send far dates: every answer within {HONEST_BOUND:.0f} s",
                  f"{common.latency_line(honest)}; {len(attacks)} attacking requests; {failures[:3]}")

    # 5. The dribbled body.
    dribbler.join(REQUEST_DEADLINE + 20)
    verdict.check(dribbled.get("status") == 408 and dribbled.get("closed", False) and dribbled.get("seconds", 99) < REQUEST_DEADLINE + 5,
                  f"a body dribbled a byte every 5 s → 408 and closed at the {REQUEST_DEADLINE} s request deadline",
                  f"{dribbled}")
    verdict.check(endpoint.alive(), "the server is still running after the far dates and extreme integers")
