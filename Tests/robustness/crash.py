"""kill -9 during a load of confirmations, restart, and prove nothing was lost, doubled or left half-written.

Citizens hold, confirm and sometimes cancel places concurrently (JSON API, straight to `sportello serve`,
mail through a sendmail stand-in); the server is killed with SIGKILL at random moments and started again on the same
database and output/. Afterwards:
- every booking that got a success answer is in the database, with its codice fiscale, exactly once, and
  cancelled if its cancellation got a success answer;
- no slot has more bookings than desks;
- no page in output/ is truncated, every .gz copy equals its page, and the week page of every full slot
  shows it taken (nothing stale after the restart);
- every mail queued (confirmations, cancellations) is delivered exactly once.

    .build/python/bin/python Tests/robustness/crash.py [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import signal
import sqlite3
import sys
import threading
import time
import urllib.parse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from support import Stack, check, free_slots, started_endpoint, summary  # noqa: E402
from people import codice_fiscale  # noqa: E402  (Tests/e2e, on the path through support)

ROME = ZoneInfo("Europe/Rome")




def citizen_cf(n: int) -> str:
    """A distinct valid codice fiscale per citizen: the birth date and comune code vary with n."""
    return codice_fiscale("VRD", "GPP", 1950 + n % 50, 1 + n // 50 % 12, 1 + n // 600 % 28, n % 2 == 1,
                          "H%03d" % (n // 16800 % 1000))


class Load:
    """Citizens booking concurrently; keeps every success answer (code, codice fiscale) it received."""

    def __init__(self, stack: Stack, slots: list[tuple[str, int]], clients: int):
        self.stack = stack
        self.slots = slots
        self.clients = clients
        self.confirmed: list[tuple[str, str]] = []
        self.cancelled: list[str] = []
        self.errors = 0
        self.unclear: list[str] = []
        self.lock = threading.Lock()
        self.running = True
        self.next_person = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(clients)]

    def post(self, path: str, fields: dict, forwarded: str):
        body = urllib.parse.urlencode(fields).encode()
        return self.stack.request("POST", path, body=body, port=self.stack.upstream_port,
                                  headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                                           "X-Forwarded-For": forwarded})

    def run(self) -> None:
        while self.running:
            with self.lock:
                n = self.next_person
                self.next_person += 1
            forwarded = f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}"
            service, slot = random.choice(self.slots)
            try:
                held = self.post("/api/holds", {"service": service, "slot": slot}, forwarded)
                if held.status != 201:
                    if held.status not in (409, 429):
                        with self.lock:
                            self.unclear.append(f"hold {held.status}")
                    continue
                token = held.json()["hold"]["token"]
                cf = citizen_cf(n)
                person = {"hold": token, "nome": "Giuseppe", "cognome": "Verdi", "codice_fiscale": cf,
                          "email": f"cittadino{n}@example.it", "cellulare": "3331234567",
                          "note": "Rinnovo"}
                booked = self.post("/api/bookings", person, forwarded)
                if booked.status == 201:
                    with self.lock:
                        self.confirmed.append((booked.json()["booking"]["code"], cf))
                        # Every other citizen cancels an earlier booking, so places keep freeing up.
                        earlier = random.choice(self.confirmed) if n % 2 == 0 else None
                    if earlier:
                        cancelled = self.post("/api/cancellations", {"code": earlier[0], "codice_fiscale": earlier[1]}, forwarded)
                        if cancelled.status == 200:
                            with self.lock:
                                self.cancelled.append(earlier[0])
                        elif cancelled.status != 409:
                            with self.lock:
                                self.unclear.append(f"cancel {cancelled.status}: {cancelled.text[:120]}")
                elif booked.status not in (409, 410, 429):
                    with self.lock:
                        self.unclear.append(f"confirm {booked.status}: {booked.text[:120]}")
            except (OSError, ValueError):
                # The server was killed under this request: no answer, so no promise was made.
                with self.lock:
                    self.errors += 1
                time.sleep(0.05)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=35)




def capacities(configuration: dict) -> dict[str, int]:
    result: dict[str, int] = {}

    def walk(nodes: list, inherited: int) -> None:
        for node in nodes:
            capacity = node.get("capacity", inherited)
            result[node["id"]] = capacity
            walk(node.get("children", []), capacity)

    walk(configuration["services"], 1)
    return result


def week_page(stack: Stack, service: str, start: int) -> Path:
    year, week, _ = datetime.fromtimestamp(start, ROME).isocalendar()
    return stack.output / "servizi" / service / f"{year}-W{week:02d}.html"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="the bounded version CI runs")
    arguments = parser.parse_args()
    kills = 4 if arguments.quick else 15
    stack = started_endpoint("crash", booking={"requestsPerMinutePerAddress": 0}, notifications={"email": True})
    load = None
    try:
        slots = free_slots(stack)
        load = Load(stack, slots, clients=16)
        load.start()
        print(f"crash test: 16 citizens booking among {len(slots)} slots; {kills} kill -9 at random moments")
        for kill in range(kills):
            time.sleep(random.uniform(0.3, 1.5))
            stack.endpoint.send_signal(signal.SIGKILL)
            stack.endpoint.wait()
            with load.lock:
                so_far = len(load.confirmed)
            print(f"  kill -9 #{kill + 1} after {so_far} confirmed bookings")
            stack.start_endpoint()
        time.sleep(1.0)
        load.stop()
        print(f"  {len(load.confirmed)} bookings and {len(load.cancelled)} cancellations answered with success, "
              f"{load.errors} requests cut by a kill")
        check(not load.unclear, f"every answer was a success or a clear refusal ({load.unclear[:3]})")

        # Let the publisher and the mail worker finish, then look at what is on disk.
        database = sqlite3.connect(f"file:{stack.database}?mode=ro", uri=True, timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = database.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead = 0").fetchone()[0]
            if pending == 0:
                break
            time.sleep(0.5)
        time.sleep(1.5)
        stack.stop_endpoint()

        rows = database.execute("SELECT code, codice_fiscale, service_id, slot_start, state FROM bookings").fetchall()
        by_code = {code: (cf, state) for code, cf, _, _, state in rows}
        missing = [code for code, cf in load.confirmed if by_code.get(code, (None,))[0] != cf]
        check(not missing, f"every booking that got a success answer is in the database ({len(load.confirmed)} checked; missing {missing[:3]})")
        still_booked = [code for code in load.cancelled if by_code.get(code, (None, ""))[1] != "cancelled_by_citizen"]
        check(not still_booked, f"every cancellation that got a success answer holds ({len(load.cancelled)} checked; {still_booked[:3]})")
        codes = [code for code, _ in load.confirmed]
        check(len(codes) == len(set(codes)), "no success answer was given twice for one booking")
        doubled = database.execute("SELECT hold_token, COUNT(*) FROM bookings GROUP BY hold_token HAVING COUNT(*) > 1").fetchall()
        check(not doubled, f"no hold became two bookings ({doubled[:3]})")
        desks = capacities(stack.configuration)
        occupied: dict[tuple[str, int], int] = {}
        for _, _, service, start, state in rows:
            if state in ("booked", "done", "absent"):
                occupied[(service, start)] = occupied.get((service, start), 0) + 1
        over = [(key, n) for key, n in occupied.items() if n > desks.get(key[0], 1)]
        check(not over, f"no slot has more bookings than desks ({len(occupied)} slots booked; over: {over[:3]})")

        pages = [p for p in stack.output.rglob("*.html")]
        truncated = [str(p) for p in pages if not p.read_text(errors="replace").rstrip().endswith("</html>")]
        check(not truncated, f"no page is truncated ({len(pages)} pages; {truncated[:3]})")
        stale_gz = []
        for page in pages:
            compressed = page.with_name(page.name + ".gz")
            if compressed.exists() and gzip.decompress(compressed.read_bytes()) != page.read_bytes():
                stale_gz.append(str(compressed))
        check(not stale_gz, f"every .gz copy equals its page ({stale_gz[:3]})")
        now = time.time()
        stale = []
        for (service, start), n in occupied.items():
            if n < desks.get(service, 1) or start < now + 3600:
                continue
            page = week_page(stack, service, start)
            if page.exists() and f'name="slot" value="{start}"' in page.read_text():
                stale.append(f"{service} {start}")
        full = sum(1 for (service, start), n in occupied.items() if n >= desks.get(service, 1))
        check(not stale, f"the week page of every full slot shows it taken ({full} full slots; stale: {stale[:3]})")

        # Mail: each message handed to sendmail names its booking's code; each booking must have received
        # exactly as many messages as the outbox queued for it (confirmation, cancellation).
        mails: dict[str, int] = {}
        for message in (stack.dir / "mail").glob("*.eml"):
            for code in set(re.findall(rb"\b[A-HJ-NP-Z2-9]{8}\b", message.read_bytes())) & {c.encode() for c in by_code}:
                mails[code.decode()] = mails.get(code.decode(), 0) + 1
        expected = dict(database.execute("SELECT b.code, COUNT(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id "
                                         "WHERE o.channel = 'email' GROUP BY b.code").fetchall())
        queued = database.execute("SELECT COUNT(*) FROM outbox WHERE channel = 'email'").fetchone()[0]
        sent = database.execute("SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND sent_at IS NOT NULL").fetchone()[0]
        dead = database.execute("SELECT COUNT(*) FROM outbox WHERE dead = 1").fetchone()[0]
        files = len(list((stack.dir / "mail").glob("*.eml")))
        print(f"  outbox: {queued} mails queued, {sent} sent, {dead} dead; {files} handed to sendmail")
        check(dead == 0 and sent == queued, "every queued mail was delivered")
        check(files == queued, f"sendmail received exactly one message per queued mail ({files} for {queued})")
        wrong = [code for code in by_code if mails.get(code, 0) != expected.get(code, 0)]
        check(not wrong, f"every booking received each of its mails exactly once ({len(by_code)} bookings; {wrong[:3]})")
        unsent = [code for code, _ in load.confirmed if expected.get(code, 0) == 0]
        check(not unsent, f"every confirmed booking had its confirmation queued ({unsent[:3]})")
        database.close()
    finally:
        if load:
            load.running = False
        stack.stop()
    return summary("crash test")


if __name__ == "__main__":
    sys.exit(main())
