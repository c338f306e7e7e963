"""Abuse: squatting and SMS pumping (issue 13), against a `sportello serve` of its own with the limits as shipped
(the other phases of hostile.py switch them off: their clients share one address and four mailboxes).

 - one address tries to hold every free slot of `stato-civile`: two held, every other attempt a clear 429
   (too_many_holds, Retry-After, the time the first hold runs out), and another citizen still holds one;
   the same from addresses rotated inside one IPv6 /64;
 - eight bookings with one mailbox and eight invented codici fiscali: four confirmed, the others 429
   (daily_limit_reached, Retry-After up to midnight);
 - registrations and bookings with generated codici fiscali and `+882` numbers: no SMS queued nor handed to the
   gateway (the mail goes; the audit log records each refusal), while an Italian mobile gets its SMS;
 - a registration flood from one address: five a day, then 429;
 - proof of work (on here, 8 bits): extreme `pow_issued` on every budgeted route is no answer and no crash; a
   solved challenge lets one hold through once, not twice, and not from another address.

    from abuse_squat import run; run(verdict, quick)     (hostile.py runs it as a phase)
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse

import common
from common import Verdict
from people import codice_fiscale

FAKE_SMS = """#!/bin/sh
# SMS gateway stand-in: `<command> <number>` with the text on standard input; keeps the number, sends nothing.
cat > /dev/null
echo "$1" >> "$(dirname "$0")/sms.txt"
"""


def made_up(n: int) -> str:
    """The n-th invented codice fiscale (well-formed, check character right), as a squatter generates them."""
    return codice_fiscale("PLL", "PNC", 1950 + n % 50, 1 + n % 12, 1 + n % 28, False)


class Client:
    """Requests as nginx passes them: from 127.0.0.1 (the trusted proxy) with the client's X-Forwarded-For."""

    def __init__(self, endpoint: common.Endpoint):
        self.endpoint = endpoint

    def post(self, path: str, fields: dict, address: str, cookie: str | None = None, accept: str = "application/json"):
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept, "X-Forwarded-For": address}
        if cookie:
            headers["Cookie"] = cookie
        r = common.shown(self.endpoint, self.endpoint.request(
            "POST", path, body=urllib.parse.urlencode(fields).encode(), headers=headers), headers)
        try:
            body = json.loads(r.body) if "json" in (r.header("Content-Type") or "") else {}
        except ValueError:
            body = {}
        return r, body


def squat(endpoint: common.Endpoint, client: Client, verdict: Verdict) -> None:
    slots = common.free_slots(endpoint.output, ["stato-civile"])
    outcomes = []
    began = time.monotonic()
    for service, start in slots:
        r, body = client.post("/api/holds", {"service": service, "slot": str(start)}, "203.0.113.66")
        outcomes.append((r.status, body.get("error"), r.header("Retry-After"), body.get("message", "")))
    held = [o for o in outcomes if o[0] == 201]
    refused = [o for o in outcomes[len(held):]]
    print(f"  squat: {len(slots)} free stato-civile slots tried from one address in {time.monotonic() - began:.1f} s: "
          f"{len(held)} held, {sum(1 for o in outcomes if o[0] == 429)} refused 429")
    verdict.check(len(slots) > 10 and len(held) == 2 and outcomes[0][0] == 201 and outcomes[1][0] == 201,
                  "squat: one address holds two slots of a service, not its whole window", f"{len(held)} of {len(slots)}")
    unclear = [o for o in refused if not (o[0] == 429 and o[1] == "too_many_holds" and o[2] and 0 < int(o[2]) <= 600
                                         and "si libera alle" in o[3])]
    verdict.check(not unclear, "squat: every other attempt is a 429 too_many_holds with Retry-After and the time it frees up",
                  (f"e.g. {refused[0][:3]} «{refused[0][3]}»" if refused else "") + (f"; unclear {unclear[:2]}" if unclear else ""))
    r, _ = client.post("/api/holds", {"service": slots[5][0], "slot": str(slots[5][1])}, "203.0.113.66", accept="text/html")
    verdict.check(r.status == 429 and "Hai già degli orari in attesa" in r.text and r.text.rstrip().endswith("</html>"),
                  "squat: a browser gets a 429 page that says so", str(r.status))
    r, _ = client.post("/api/holds", {"service": slots[5][0], "slot": str(slots[5][1])}, "198.51.100.20")
    verdict.check(r.status == 201, "squat: meanwhile another citizen holds a slot of the same service", str(r.status))
    # Rotating addresses inside one IPv6 /64 (a home or phone picks any of them at will) is one client.
    statuses = [client.post("/api/holds", {"service": service, "slot": str(start)}, f"2001:db8:66:1:{n:x}::{n + 1:x}")[0].status
                for n, (service, start) in enumerate(slots[6:11])]
    verdict.check(statuses == [201, 201, 429, 429, 429], "squat: addresses of one IPv6 /64 share the budget", str(statuses))
    # A browser changing its mind: its new hold gives back the previous one, so it never meets the cap.
    cookie = None
    ok = []
    for service, start in slots[11:15]:
        r, body = client.post("/api/holds", {"service": service, "slot": str(start)}, "192.0.2.44", cookie=cookie, accept="text/html")
        ok.append(r.status)
        set_cookie = r.header("Set-Cookie") or ""
        if set_cookie.startswith("sportello_visitor="):
            cookie = set_cookie.split(";")[0]
            verdict.check("HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie, "squat: the browser session cookie is HttpOnly, SameSite=Lax",
                          set_cookie)
    with endpoint.db() as db:
        live = db.execute("SELECT COUNT(*) FROM holds WHERE client_ip = '192.0.2.44' AND released = 0 AND expires_at > ?",
                          (int(time.time()),)).fetchone()[0]
    verdict.check(ok == [200] * 4 and live == 1, "squat: a browser picking again keeps one hold, never refused", f"{ok}, {live} live")


def one_mailbox(endpoint: common.Endpoint, client: Client, verdict: Verdict) -> None:
    slots = common.free_slots(endpoint.output, ["certificati"])[:8]
    statuses: list = []
    last: dict = {}
    for n, (service, start) in enumerate(slots):
        r, body = client.post("/api/holds", {"service": service, "slot": str(start)}, "203.0.113.77")
        if r.status != 201:
            statuses.append(("hold", r.status))
            continue
        someone = {"nome": "Pinco", "cognome": "Pallino", "codice_fiscale": made_up(n), "email": "relay@example.org",
                   "cellulare": "333 765 4321", "note": f"Testo libero per chiunque {n}"}
        r, last = client.post("/api/bookings", {"hold": body["hold"]["token"], **someone}, "203.0.113.77")
        statuses.append(r.status)
        if r.status == 429:
            last["retry"] = r.header("Retry-After")
    with endpoint.db() as db:
        booked = db.execute("SELECT COUNT(*) FROM bookings WHERE email = 'relay@example.org'").fetchone()[0]
    print(f"  one mailbox: 8 bookings with invented codici fiscali: {statuses}")
    # Past the cap, the refused confirmations keep their holds until they run out: then the holds are refused too.
    verdict.check(statuses[:4] == [201] * 4 and all(s in (429, ("hold", 429)) for s in statuses[4:]) and len(statuses) == 8 and booked == 4,
                  "one mailbox, invented codici fiscali: four bookings a day, then 429", f"{statuses}, {booked} stored")
    verdict.check(last.get("error") == "daily_limit_reached" and "riprovare da" in last.get("message", "")
                  and 0 < int(last.get("retry") or 0) <= 86_400 + 3_600,
                  "one mailbox: the refusal says daily_limit_reached, until when, with Retry-After", f"{last}")


def sms_pumping(endpoint: common.Endpoint, client: Client, verdict: Verdict) -> None:
    # Registrations: the password goes to one contact only (the email, as this comune sends mail), so a made-up
    # foreign number gets nothing whatever the limits.
    statuses = []
    for n in range(5):
        fields = {"nome": "Pinco", "cognome": "Pallino", "codice_fiscale": made_up(100 + n), "email": f"pump{n}@example.org",
                  "cellulare": f"+882 3{n}0 123 4567"}
        statuses.append(client.post("/api/accounts", fields, f"198.51.100.{60 + n}")[0].status)
    # Bookings: their confirmation goes to every contact given, so here the country list must refuse the SMS.
    slots = common.free_slots(endpoint.output, ["certificati"])[20:40]
    booked = []
    for n in range(5):
        address = f"198.51.100.{80 + n}"
        service, start = slots[n]
        r, body = client.post("/api/holds", {"service": service, "slot": str(start)}, address)
        if r.status != 201:
            booked.append(("hold", r.status))
            continue
        fields = {"nome": "Pinco", "cognome": "Pallino", "codice_fiscale": made_up(120 + n), "email": f"pumpb{n}@example.org",
                  "cellulare": f"+882 3{n}1 123 4567"}
        booked.append(client.post("/api/bookings", {"hold": body["hold"]["token"], **fields}, address)[0].status)
    time.sleep(2)  # the notification worker hands what was queued to the gateway at once
    with endpoint.db() as db:
        queued = db.execute("SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND recipient LIKE '+882%'").fetchone()[0]
        mails = db.execute("SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND recipient LIKE 'pump%'").fetchone()[0]
        refused = db.execute("SELECT COUNT(*) FROM audit WHERE action = 'message.refused'").fetchone()[0]
    sent = (endpoint.dir / "sms.txt").read_text().split() if (endpoint.dir / "sms.txt").exists() else []
    verdict.check(statuses == [202] * 5 and booked == [201] * 5 and queued == 0 and not [s for s in sent if s.startswith("+882")]
                  and mails == 10 and refused >= 5,
                  "SMS pumping: five registrations and five bookings with +882 numbers send no SMS (the mail goes, the audit says why)",
                  f"registrations {statuses}, bookings {booked}, {queued} SMS queued, gateway got {sent}, {mails} mails, "
                  f"{refused} refusals audited")
    # An Italian mobile gets its booking's SMS: the gateway itself works.
    service, start = slots[10]
    r, body = client.post("/api/holds", {"service": service, "slot": str(start)}, "198.51.100.70")
    if r.status == 201:
        r, _ = client.post("/api/bookings", {"hold": body["hold"]["token"], "nome": "Pinco", "cognome": "Pallino",
                                             "codice_fiscale": made_up(200), "email": "it@example.it", "cellulare": "347 111 2233"},
                           "198.51.100.70")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "+393471112233" not in ((endpoint.dir / "sms.txt").read_text() if (endpoint.dir / "sms.txt").exists() else ""):
        time.sleep(0.2)
    sent = (endpoint.dir / "sms.txt").read_text().split() if (endpoint.dir / "sms.txt").exists() else []
    verdict.check(r.status == 201 and "+393471112233" in sent and not [s for s in sent if not s.startswith("+393")],
                  "SMS: an Italian mobile number gets its SMS; only Italian mobiles got any", f"{r.status}, {sent}")


def registration_flood(endpoint: common.Endpoint, client: Client, verdict: Verdict) -> None:
    outcomes = []
    for n in range(12):
        fields = {"nome": "Pinco", "cognome": "Pallino", "codice_fiscale": made_up(300 + n), "email": f"flood{n}@example.org",
                  "cellulare": f"333 222 {1000 + n}"}
        r, body = client.post("/api/accounts", fields, "203.0.113.88")
        outcomes.append((r.status, body.get("error"), r.header("Retry-After")))
    with endpoint.db() as db:
        accounts = db.execute("SELECT COUNT(*) FROM accounts WHERE email LIKE 'flood%'").fetchone()[0]
    print(f"  registration flood: {[o[0] for o in outcomes]}")
    verdict.check([o[0] for o in outcomes] == [202] * 5 + [429] * 7 and accounts == 5
                  and all(o[1] == "daily_limit_reached" and o[2] for o in outcomes[5:]),
                  "registration flood: five a day from one address, then 429 daily_limit_reached", f"{accounts} accounts")


def proof_of_work(endpoint: common.Endpoint, client: Client, verdict: Verdict) -> None:
    slots = common.free_slots(endpoint.output, ["certificati"])[60:90]
    address = "203.0.113.99"

    def hold(extra: dict, source: str = address):
        while slots:
            service, start = slots.pop()
            r, body = client.post("/api/holds", {"service": service, "slot": str(start), **extra}, source)
            if r.status != 409:
                return r.status, body
        return None, {}

    def solve(challenge: dict) -> dict:
        if not challenge.get("salt"):
            return {}
        bits = int(challenge["bits"])
        nonce = next(n for n in range(10_000_000)
                     if int.from_bytes(hashlib.sha256((challenge["salt"] + str(n)).encode()).digest(), "big") >> (256 - bits) == 0)
        return {"pow_salt": challenge["salt"], "pow_issued": str(challenge["issued"]), "pow_signature": challenge["signature"],
                "pow_nonce": str(nonce)}

    first = [hold({})[0] for _ in range(2)]
    # Before the signature was checked, an instant that made `now - issued` overflow killed the process.
    extremes = []
    for issued in ["-9223372036854775808", "9223372036854775807", "-1"]:
        forged = {"pow_salt": "0" * 32, "pow_issued": issued, "pow_signature": "0" * 64, "pow_nonce": "1"}
        extremes.append(hold(forged)[0])
        for path, fields in [("/api/accounts", {"nome": "Pinco", "cognome": "Pallino", "codice_fiscale": made_up(400), "email": "pow@example.org",
                                                "cellulare": "333 222 9999"}),
                             ("/api/credentials", {"codice_fiscale": made_up(400), "contatto": "pow@example.org"}),
                             ("/api/bookings", {"hold": "0" * 32})]:
            extremes.append(client.post(path, {**fields, **forged}, address)[0].status)
    verdict.check(endpoint.alive() and all(s is not None and s < 500 for s in extremes),
                  "proof of work: extreme pow_issued on holds, accounts, credentials and bookings is no answer and no crash", str(extremes))
    # Each refusal issues a new challenge, replacing the client's previous one: answer the latest.
    status, refused = hold({})
    answer = solve(refused.get("challenge") or {})
    elsewhere = [hold({}, "203.0.113.98")[0] for _ in range(2)] + [hold(answer, "203.0.113.98")[0]]  # another client at its cap
    once, twice = hold(answer)[0], hold(answer)[0]
    verdict.check(first == [201, 201] and status == 429 and bool(answer) and elsewhere == [201, 201, 429] and once == 201 and twice == 429,
                  "proof of work: a solved challenge lets one hold through once, not twice, not from another address",
                  f"{first}, refused {status}, elsewhere {elsewhere}, once {once}, twice {twice}")


def run(verdict: Verdict, quick: bool = True, keep: bool = False) -> None:
    def configure(config):
        # The shipped defaults, with the optional proof of work on (cheap, for the test to solve).
        config["limits"] = {"proofOfWork": {"bits": 8, "waitSeconds": 30}}
        config["booking"]["trustedProxies"] = ["127.0.0.1"]
        config["booking"]["requestsPerMinutePerAddress"] = 1000
        config["booking"]["maxActiveBookingsPerPerson"] = None
    endpoint = common.Endpoint("abuse-squat", configure=configure)
    (endpoint.dir / "sms").write_text(FAKE_SMS)
    (endpoint.dir / "sms").chmod(0o755)
    endpoint.configuration["notifications"].update({"sms": True, "smsCommand": [str(endpoint.dir / "sms")]})
    endpoint.config.write_text(json.dumps(endpoint.configuration, ensure_ascii=False, indent=1))
    try:
        endpoint.start_endpoint()
        client = Client(endpoint)
        squat(endpoint, client, verdict)
        one_mailbox(endpoint, client, verdict)
        sms_pumping(endpoint, client, verdict)
        registration_flood(endpoint, client, verdict)
        proof_of_work(endpoint, client, verdict)
        verdict.check(endpoint.alive(), "abuse: the server is still running")
    finally:
        print(f"  abuse logs: {endpoint.finish(keep)}")


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="sportello binary (default $SPORTELLO_BIN or .build/debug/sportello)")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    common.use_binary(arguments.binary)
    outcome = Verdict()
    run(outcome, keep=arguments.keep)
    outcome.exit()
