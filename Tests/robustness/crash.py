#!/usr/bin/env python3
"""kill -9 during confirmations (issue 8, docs/ARCHITECTURE.md §6).

Many concurrent clients place holds and confirm them over the JSON API of `sportello serve` while the server is
killed with SIGKILL at random moments and started again on the same database and output/, several times. Then:

- every booking that got a success answer is in the database (read-only) and its receipt answers by code +
  codice fiscale; a confirmation whose answer was lost is either in the database or not, and sending it again
  gives one booking (the same one); there are no bookings nobody asked for, none twice, no slot over capacity;
- after each kill no page in output/ is truncated and every .gz is whole; after each restart every .gz equals
  its page and the week page of every slot shows its bookings (full slots "booked", free places counted);
- every queued notification reaches the fake sendmail exactly once (by Message-ID), with the booking's code.

Only the server process is killed: its courier (the one child that hands every message to sendmail) and the
sendmail processes it started run on, as after a crash; the courier must finish what it started, record it and
exit on its own (checked after every kill), and the restarted server must settle those messages from the spool.

With `--smtp` mail goes over SMTP (`notifications.smtp`) to an in-process sink (smtp_sink.py) instead of sendmail;
`--kill-courier` also kills the couriers (SIGKILL) right after the server in every other cycle: a message the
courier had marked started and not recorded is then uncertain and retried with the same Message-ID, so a copy is
allowed only for a message whose outbox row counts a failed attempt for it.

    .build/python/bin/python Tests/robustness/crash.py [--quick] [--smtp [--kill-courier]] [--binary .build/debug/sportello]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import http.client
import json
import os
import random
import signal
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import common
from common import Verdict, latency_line, person

HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
# Capacity-1 services (contended slots) and the two-desk carta d'identità (--quick; the long run uses every service).
# Certificati is the only one with a desk, shared with services this run never books: its places are its own.
SERVICES = ["stato-civile", "certificati", "tari", "contributi", "segretariato-sociale"]


@dataclass
class Ledger:
    """What the clients were told, shared by all of them."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    successes: list = field(default_factory=list)       # (code, codice fiscale, service, start, hold token, person)
    in_doubt: list = field(default_factory=list)        # (hold token, person): confirmation sent, no answer
    holds: int = 0
    slot_full: int = 0
    lost_holds: int = 0                                 # hold requests without an answer
    unexpected: list = field(default_factory=list)      # (what, status, body)
    latencies: list = field(default_factory=list)       # seconds, answered requests
    counter: int = 0

    def next_person(self) -> dict:
        with self.lock:
            self.counter += 1
            return person(self.counter)


class Load:
    """`clients` threads doing hold + confirm on keep-alive connections while `up` is set."""

    def __init__(self, endpoint: common.Endpoint, slots: list, clients: int, seed: int, think: tuple[float, float]):
        self.endpoint = endpoint
        self.think = think
        self.slots = slots
        self.ledger = Ledger()
        self.up = threading.Event()
        self.stopped = threading.Event()
        self.idle = [threading.Event() for _ in range(clients)]
        self.threads = [threading.Thread(target=self.client, args=(i, random.Random(seed * 1000 + i)), daemon=True)
                        for i in range(clients)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def pause(self, timeout: float = 30) -> None:
        """Stops taking new work and waits until every client is between attempts."""
        self.up.clear()
        for thread, event in zip(self.threads, self.idle):
            if thread.is_alive():
                event.wait(timeout)

    def resume(self) -> None:
        for event in self.idle:
            event.clear()
        self.up.set()

    def stop(self) -> None:
        self.stopped.set()
        self.up.set()
        for thread in self.threads:
            thread.join(30)

    def client(self, index: int, rng: random.Random) -> None:
        connection = None
        ledger = self.ledger
        while not self.stopped.is_set():
            if not self.up.is_set():
                if connection:
                    connection.close()
                    connection = None
                self.idle[index].set()
                self.up.wait()
                continue
            time.sleep(rng.uniform(*self.think))  # a pause between citizens keeps the mail queue to what CI can deliver
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.endpoint.port, timeout=30)
            with ledger.lock:
                if not self.slots:
                    break
                service, start = rng.choice(self.slots)
            # 1. the hold
            try:
                status, body = self.post(connection, "/api/holds", {"service": service, "slot": str(start)})
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
                with ledger.lock:
                    ledger.lost_holds += 1
                time.sleep(0.05)
                continue
            if status == 409 and body.get("error") == "slot_full":
                with ledger.lock:
                    ledger.slot_full += 1
                    if (service, start) in self.slots:
                        self.slots.remove((service, start))
                continue
            if status != 201:
                with ledger.lock:
                    ledger.unexpected.append(("hold", status, body))
                continue
            token = body["hold"]["token"]
            with ledger.lock:
                ledger.holds += 1
            # 2. the confirmation
            someone = ledger.next_person()
            try:
                status, body = self.post(connection, "/api/bookings", {"hold": token, **someone})
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
                with ledger.lock:
                    ledger.in_doubt.append((token, someone))
                time.sleep(0.05)
                continue
            if status == 201:
                booking = body["booking"]
                with ledger.lock:
                    ledger.successes.append((booking["code"], someone["codice_fiscale"], booking["service"], booking["start"],
                                             token, someone))
            else:
                with ledger.lock:
                    ledger.unexpected.append(("confirm", status, body))
        if connection:
            connection.close()
        self.idle[index].set()

    def post(self, connection, path: str, fields: dict) -> tuple[int, dict]:
        began = time.monotonic()
        connection.request("POST", path, body=urllib.parse.urlencode(fields), headers=HEADERS)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.monotonic() - began
        with self.ledger.lock:
            self.ledger.latencies.append(elapsed)
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {"raw": data[:300].decode("utf-8", "replace")}


def check_pages_fresh(endpoint: common.Endpoint, verdict: Verdict, capacity: dict, when: str) -> None:
    """Each week page shows every booked slot as the database has it: full → "booked"; otherwise free with the
    right number of places, or "held" when holds fill the rest."""
    now = int(time.time())
    with endpoint.db() as db:
        booked = {(s, t): n for s, t, n in db.execute(
            "SELECT service_id, slot_start, COUNT(*) FROM bookings WHERE state = 'booked' GROUP BY 1, 2")}
        held = {(s, t): n for s, t, n in db.execute(
            "SELECT service_id, slot_start, COUNT(*) FROM holds WHERE released = 0 AND booking_id IS NULL AND expires_at > ? "
            "GROUP BY 1, 2", (now,))}
    wrong = []
    pages: dict = {}
    for (service, start), count in booked.items():
        page = common.week_file(endpoint.output, service, start)
        if page not in pages:
            pages[page] = page.read_text() if page.exists() else None
        html = pages[page]
        found = common.cell(html, start) if html else None
        if found is None:
            wrong.append(f"{service} {start}: no cell on {page.name}")
            continue
        state, inner = found
        free = capacity[service] - count - held.get((service, start), 0)
        if free > 0:
            places = common.re.search(r'<span class="places">\D*(\d+)', inner)
            ok = state == "free" and (capacity[service] == 1 or (places is not None and int(places.group(1)) == free))
            expected = f"free ({free} places)"
        else:
            expected = "booked" if count >= capacity[service] else "held"
            ok = state == expected
        if not ok:
            wrong.append(f"{service} {start} ({count} booked): page shows {state!r}, expected {expected}")
    verdict.check(not wrong, f"{when}: week pages show the {len(booked)} booked slots as taken",
                  f"{len(wrong)} wrong: {wrong[:5]}" if wrong else f"{len(pages)} pages read")


def couriers(spool: str) -> list[int]:
    """The pids of the courier processes (`<sportello> __courier <spool>`) serving `spool`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            arguments = open(f"/proc/{name}/cmdline", "rb").read().split(b"\0")
            if len(arguments) < 3 or arguments[1] != b"__courier":
                continue
            folder = os.path.join(os.readlink(f"/proc/{name}/cwd"), arguments[2].decode())
            with open(f"/proc/{name}/stat") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    continue
        except (OSError, UnicodeDecodeError):
            continue
        if os.path.realpath(folder) == os.path.realpath(spool):
            found.append(int(name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="bounded run for CI (4 kills, under 3 minutes)")
    parser.add_argument("--binary", help="sportello binary (default $SPORTELLO_BIN or .build/debug/sportello)")
    parser.add_argument("--cycles", type=int, help="kills (default 4 quick, 12)")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 16 quick, 32)")
    parser.add_argument("--think", type=float, help="mean pause of a client between bookings, s (default 0.05 quick, 0.1)")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed at the end)")
    parser.add_argument("--smtp", action="store_true", help="mail over SMTP to an in-process sink instead of sendmail")
    parser.add_argument("--kill-courier", action="store_true", help="with --smtp: also kill the couriers, every other cycle")
    args = parser.parse_args()
    cycles = args.cycles or (4 if args.quick else 12)
    clients = args.clients or (16 if args.quick else 32)
    run_between = (0.3, 2.0) if args.quick else (0.3, 6.0)
    think = args.think if args.think is not None else (0.05 if args.quick else 0.1)
    binary = common.use_binary(args.binary)
    rng = random.Random(args.seed)
    print(f"crash: {binary}, {cycles} kills, {clients} clients, seed {args.seed}", flush=True)

    sink = None
    if args.smtp:
        import tempfile
        from smtp_sink import SMTPSink
        sink_folder = Path(tempfile.mkdtemp(prefix="sportello-crash-smtp-"))
        sink = SMTPSink(sink_folder).start()

    def configure(config):
        config["booking"]["maxActiveBookingsPerPerson"] = None   # the clients are a few made-up people
        config["booking"]["requestsPerMinutePerAddress"] = 0     # all of them come from 127.0.0.1
        if sink:
            config["notifications"]["smtp"] = f"127.0.0.1:{sink.port}"
    endpoint = common.Endpoint("crash", configure=configure)
    if sink:
        endpoint.mail_files = lambda: sorted(sink.folder.glob("*.eml"))
    capacity = common.capacities(endpoint.configuration)
    verdict = Verdict()
    began = time.monotonic()
    load = None
    try:
        endpoint.start_endpoint()
        # The long run books every service but those with desks (another service's booking changes their places).
        services = SERVICES if args.quick else sorted(set(capacity) - common.desk_services(endpoint.configuration))
        slots = common.free_slots(endpoint.output, services)
        print(f"  {len(slots)} free slots in {', '.join(services)} (capacity {[capacity[s] for s in services]})")
        load = Load(endpoint, slots, clients, args.seed, (think / 2, think * 1.5))
        load.start()
        kills = []
        for cycle in range(1, cycles + 1):
            load.resume()
            delay = rng.uniform(*run_between)
            time.sleep(delay)
            before = len(load.ledger.successes)
            spool = os.path.join(os.path.dirname(os.path.abspath(endpoint.database)), "spool")
            endpoint.kill9()
            orphans = couriers(spool)
            if args.kill_courier and cycle % 2 == 0:
                for pid in orphans:
                    os.kill(pid, signal.SIGKILL)
                print(f"  and killed its courier(s) {orphans}", flush=True)
            load.pause()
            outstanding = len(load.ledger.in_doubt)
            print(f"cycle {cycle}: killed after {delay:.2f} s of load; {before} confirmed so far, "
                  f"{outstanding} confirmations without an answer", flush=True)
            after_kill = common.check_output(endpoint.output, compare_gz=False)
            verdict.check(not after_kill["problems"], f"cycle {cycle}, right after the kill: no truncated page, every .gz whole",
                          f"{after_kill['html']} pages, {after_kill['gz']} .gz" + (f"; {after_kill['problems'][:5]}" if after_kill["problems"] else ""))
            mismatched = common.check_output(endpoint.output)["problems"]
            t0 = time.monotonic()
            endpoint.start_endpoint()
            restart = time.monotonic() - t0
            kills.append((delay, restart, len(after_kill["temporaries"]), len(mismatched)))
            print(f"  restarted in {restart:.2f} s; {len(after_kill['temporaries'])} temporary files and "
                  f"{len(mismatched)} .gz/page differences were left by the kill", flush=True)
            fresh = common.check_output(endpoint.output)
            verdict.check(not fresh["problems"], f"cycle {cycle}, after the restart: every .gz equals its page",
                          f"{fresh['html']} pages" + (f"; {fresh['problems'][:5]}" if fresh["problems"] else ""))
            verdict.check(not fresh["temporaries"], f"cycle {cycle}, after the restart: no temporary file left in output/",
                          f"{fresh['temporaries'][:5]}" if fresh["temporaries"] else "")
            check_pages_fresh(endpoint, verdict, capacity, f"cycle {cycle}, after the restart")
            # The killed server's courier had no one to answer: it finishes its hand-overs, records them and exits.
            deadline = time.monotonic() + 30
            while set(orphans) & set(couriers(spool)) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = set(orphans) & set(couriers(spool))
            verdict.check(not left, f"cycle {cycle}: the killed server's courier finished and exited",
                          f"{len(orphans)} courier(s) running right after the kill"
                          + (f", still running 30 s later: {sorted(left)}" if left else ", none left"))
        load.stop()
        ledger = load.ledger

        # Confirmations whose answer was lost: sending them again gives one booking (the one already made, if any).
        with endpoint.db() as db:
            before_retry = {token: code for token, code in db.execute("SELECT hold_token, code FROM bookings")}
        retried = committed = 0
        retry_problems = []
        for token, someone in ledger.in_doubt:
            response = endpoint.post("/api/bookings", {"hold": token, **someone}, json_api=True, origin=None)
            if response.status != 201:
                retry_problems.append((token, response.status, response.text[:200]))
                continue
            booking = response.json()["booking"]
            retried += 1
            if token in before_retry:
                committed += 1
                if before_retry[token] != booking["code"]:
                    retry_problems.append((token, "code changed", before_retry[token], booking["code"]))
            ledger.successes.append((booking["code"], someone["codice_fiscale"], booking["service"], booking["start"], token, someone))
        verdict.check(not retry_problems, f"confirmations without an answer ({len(ledger.in_doubt)}) sent again give one booking each",
                      f"{committed} had been committed before the kill, {retried - committed} were confirmed now"
                      + (f"; problems: {retry_problems[:5]}" if retry_problems else ""))

        # Idempotence of answered confirmations, on a sample.
        sample = random.Random(args.seed).sample(ledger.successes, min(40, len(ledger.successes)))
        changed = [s[0] for s in sample
                   if (r := endpoint.post("/api/bookings", {"hold": s[4], **s[5]}, json_api=True, origin=None)).status != 201
                   or r.json()["booking"]["code"] != s[0]]
        verdict.check(not changed, f"confirming an answered hold again returns the same booking ({len(sample)} tried)", str(changed[:5]))

        # Receipts by code + codice fiscale.
        missing_receipts = []
        for code, codice_fiscale, *_ in ledger.successes:
            r = endpoint.post("/api/receipts", {"code": code, "codice_fiscale": codice_fiscale}, json_api=True, origin=None)
            if r.status != 200 or r.json().get("booking", {}).get("code") != code:
                missing_receipts.append((code, r.status))
        verdict.check(not missing_receipts, f"every confirmed booking ({len(ledger.successes)}) answers its receipt by code",
                      str(missing_receipts[:5]))

        print(f"  checks of bookings and receipts done at {time.monotonic() - began:.0f} s", flush=True)
        # Notifications: the worker delivers everything queued, each message once.
        deadline = time.monotonic() + (90 if args.quick else 240)
        while time.monotonic() < deadline:
            with endpoint.db() as db:
                pending = db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead = 0").fetchone()[0]
            if pending == 0:
                break
            time.sleep(1)
        time.sleep(1)
        print(f"  outbox drained at {time.monotonic() - began:.0f} s", flush=True)
        endpoint._stop(endpoint.endpoint)

        with endpoint.db() as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            bookings = db.execute("SELECT code, hold_token, service_id, slot_start, codice_fiscale, state FROM bookings").fetchall()
            over = db.execute("SELECT service_id, slot_start, COUNT(*) FROM bookings WHERE state = 'booked' "
                              "GROUP BY 1, 2 HAVING COUNT(*) > 1").fetchall()
            outbox = db.execute("SELECT id, booking_id, kind, channel, sent_at, dead, attempts, last_error FROM outbox").fetchall()
            codes_by_id = dict(db.execute("SELECT id, code FROM bookings"))
        verdict.check(integrity == "ok", "database integrity_check", integrity)

        by_code = {code: (token, service, start, cf, state) for code, token, service, start, cf, state in bookings}
        missing = [s[0] for s in ledger.successes if s[0] not in by_code]
        mismatched = [s[0] for s in ledger.successes if s[0] in by_code and
                      (by_code[s[0]][1:4] != (s[2], s[3], s[1]) or by_code[s[0]][0] != s[4] or by_code[s[0]][4] != "booked")]
        verdict.check(not missing and not mismatched, f"every success answer ({len(ledger.successes)}) is a booked row with its slot and person",
                      f"missing {missing[:5]}, mismatched {mismatched[:5]}")
        answered_tokens = {s[4] for s in ledger.successes}
        phantoms = [code for code, (token, *_rest) in by_code.items() if token not in answered_tokens]
        verdict.check(not phantoms, f"no booking nobody was told about ({len(bookings)} rows)", str(phantoms[:5]))
        tokens = [b[1] for b in bookings]
        success_codes = {}
        for s in ledger.successes:
            success_codes.setdefault(s[4], set()).add(s[0])
        verdict.check(len(tokens) == len(set(tokens)) and all(len(c) == 1 for c in success_codes.values()),
                      "no booking duplicated (one per hold, one code per hold in every answer)")
        over_capacity = [(s, t, n) for s, t, n in over if n > capacity[s]]
        verdict.check(not over_capacity, "no slot over its capacity", str(over_capacity[:5]))

        final = common.check_output(endpoint.output)
        verdict.check(not final["problems"] and not final["temporaries"],
                      "after the last run: no truncated page, every .gz equals its page, no temporary file",
                      f"{final['html']} pages, {final['gz']} .gz" + (f"; {final['problems'][:5]} {final['temporaries'][:5]}"
                                                                      if final["problems"] or final["temporaries"] else ""))
        check_pages_fresh(endpoint, verdict, capacity, "after the last run")

        # Mail: one message per outbox row, carrying its booking's code.
        per_id: dict[int, int] = {}
        strangers = []
        code_missing = []
        for path in endpoint.mail_files():
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            match = common.re.match(r"<outbox-(\d+)\.(\w+)@", str(message["Message-ID"]))
            if not match:
                strangers.append(path.name)
                continue
            outbox_id = int(match.group(1))
            per_id[outbox_id] = per_id.get(outbox_id, 0) + 1
            row = next((o for o in outbox if o[0] == outbox_id), None)
            body = message.get_body(preferencelist=("plain",))
            code = codes_by_id.get(row[1]) if row else None
            if code and (body is None or code not in body.get_content()):
                code_missing.append((outbox_id, code))
        mail_rows = [o for o in outbox if o[3] == "email"]
        unsent = [(o[0], o[5], o[6], o[7]) for o in mail_rows if o[4] is None]
        # A killed courier leaves uncertain attempts: each may be one more copy, counted as a failed attempt.
        allowed = {o[0]: (max(1, o[6]) if args.kill_courier else 1) for o in mail_rows}
        not_once = {i: n for i, n in per_id.items() if n < 1 or n > allowed.get(i, 1)}
        never = [o[0] for o in mail_rows if o[0] not in per_id]
        confirmed_rows = {o[1] for o in mail_rows if o[2] == "confirmed"}
        without_mail = [code for code, (token, *_r) in by_code.items() if code not in
                        {codes_by_id.get(b) for b in confirmed_rows}]
        verdict.check(not without_mail, f"every booking ({len(by_code)}) queued its confirmation mail", str(without_mail[:5]))
        verdict.check(not unsent, f"every queued message ({len(mail_rows)}) marked sent", f"unsent (id, dead, attempts, error): {unsent[:5]}")
        verdict.check(not not_once and not never and not strangers,
                      f"every queued message handed {'over SMTP' if args.smtp else 'to sendmail'} "
                      + ("exactly once, or once more per uncertain attempt" if args.kill_courier else "exactly once")
                      + f" ({sum(per_id.values())} messages received)",
                      f"more than once {dict(list(not_once.items())[:5])}, never {never[:5]}, unknown {strangers[:3]}")
        verdict.check(not code_missing, "each confirmation mail carries its booking's code", str(code_missing[:5]))

        retried_rows = [o for o in mail_rows if o[6] > 0]
        print("\nfigures:")
        print(f"  kills: {len(kills)}; load before each kill (s): {', '.join(f'{k[0]:.2f}' for k in kills)}")
        print(f"  restart until listening and rebuilt (s): {', '.join(f'{k[1]:.2f}' for k in kills)}")
        print(f"  left by the kills: temporary files {[k[2] for k in kills]}, .gz differing from the page {[k[3] for k in kills]}")
        print(f"  holds {ledger.holds}, slot_full {ledger.slot_full}, hold requests unanswered {ledger.lost_holds}")
        print(f"  confirmations: {len(ledger.successes)} bookings ({len(ledger.in_doubt)} answers lost to kills), "
              f"rows in the database {len(bookings)}")
        print(f"  answered requests: {latency_line(ledger.latencies)}")
        print(f"  mail: {len(mail_rows)} queued, {sum(per_id.values())} received, {len(retried_rows)} needed a retry")
        if ledger.unexpected:
            print(f"  unexpected answers: {ledger.unexpected[:5]}")
        verdict.check(not [u for u in ledger.unexpected if u[1] >= 500],
                      f"no 5xx answer ({len(ledger.unexpected)} unexpected answers)", str(ledger.unexpected[:5]))
        verdict.check(len(ledger.successes) > 0 and len(kills) == cycles, "the load ran and the server was killed as planned")
        print(f"  took {time.monotonic() - began:.0f} s")
    finally:
        if load:
            load.stop()
        where = endpoint.finish(args.keep)
        if sink:
            sink.stop()
        print(f"logs: {where}")
    verdict.exit()


if __name__ == "__main__":
    main()
