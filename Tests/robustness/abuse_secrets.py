"""Abuse checks of secrets and headers (issue 13, points 3 and 4), run as one phase of hostile.py:

 - enumeration by timing: operator sign-in with a wrong token of an existing operator vs a token naming no
   operator (or no token shape at all); citizen sign-in with a wrong password of an existing account vs a codice
   fiscale without one. Medians of interleaved tries from fresh addresses must stay within a ratio (a missing
   hash check made them differ twentyfold);
 - operator sessions: the cookie is a session id, not the token; logout ends it on the server;
 - forged identity headers from loopback (a trusted address) without the proxy's secret, or with a wrong one,
   are ignored (a second `sportello serve` configured with `identity`);
 - the security headers (the set deploy/sportello-site.conf adds) on `serve`'s own answers: pages, assets,
   404, endpoint pages and JSON;
 - files: var/ 0700, the database, its log and the spool 0600; after the credentials mail is handed over, the
   password is in none of the database, its -wal/-shm, the spool or the secrets folder.
"""

from __future__ import annotations

import re
import statistics
import time
import urllib.parse
from pathlib import Path

import common
from common import Verdict, person

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
RATIO = 3.0        # medians of "exists" and "does not exist" must be within this factor (was ~20 before the fix)
REGISTER_RATIO = 1.5  # the same for registering a codice fiscale again vs a new one (was ~1.8: the mail raced the answer)
PROXY_SECRET = "abuse-secrets-0123456789abcdef0123456789"


class Sources:
    """A fresh loopback address per request, so no per-address limit shapes the timings."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}.{self.n // 250 % 250}.{self.n % 250 + 1}"


def timed_post(endpoint: common.Endpoint, path: str, fields: dict, source: str, headers: dict | None = None):
    began = time.monotonic()
    response = endpoint.post(path, fields, headers=headers, source=source)
    return time.monotonic() - began, response


def compare(verdict: Verdict, what: str, exists: list[float], missing: list[float], extra: str = "") -> None:
    a, b = statistics.median(exists), statistics.median(missing)
    ratio = max(a, b) / max(min(a, b), 1e-6)
    verdict.check(ratio < RATIO, f"{what}: the time does not tell whether it exists",
                  f"median {a * 1000:.1f} ms existing vs {b * 1000:.1f} ms unknown (ratio {ratio:.2f}, bound {RATIO}){extra}")


def operator_timing(endpoint: common.Endpoint, verdict: Verdict, token: str, tries: int) -> None:
    operator_id = re.match(r"op(\d+)-", token).group(1)
    wrong = f"op{operator_id}-" + "0" * 32
    unknown = f"op{int(operator_id) + 90000}-" + "0" * 32
    sources = Sources("127.9")
    exists, missing, shapeless, statuses = [], [], [], set()
    for _ in range(tries):  # interleaved: a busy machine slows every kind alike
        for kind, sample in ((wrong, exists), (unknown, missing), ("nonsense", shapeless)):
            elapsed, response = timed_post(endpoint, "/api/operator/login", {"token": kind}, sources.next())
            sample.append(elapsed)
            statuses.add(response.status)
    verdict.check(statuses == {401}, "operator sign-in: every wrong token answers the same 401", str(sorted(statuses)))
    compare(verdict, "operator sign-in (existing id, wrong secret vs unknown id)", exists, missing)
    compare(verdict, "operator sign-in (existing id, wrong secret vs malformed token)", exists, shapeless)


def operator_sessions(endpoint: common.Endpoint, verdict: Verdict, token: str) -> None:
    sources = Sources("127.10")
    login = endpoint.post("/api/operator/login", {"token": token}, source=sources.next())
    cookie = (login.header("Set-Cookie") or "").split(";")[0]
    verdict.check(login.status == 200 and cookie.startswith("sportello_operator=") and token.split("-")[1] not in cookie,
                  "operator sign-in: the cookie is a session id, never the token", cookie[:40])
    before = endpoint.post("/api/operator/agenda", {}, headers={"Cookie": cookie}, source=sources.next())
    as_cookie = endpoint.post("/api/operator/agenda", {}, headers={"Cookie": f"sportello_operator={token}"}, source=sources.next())
    endpoint.post("/api/operator/logout", {}, headers={"Cookie": cookie}, source=sources.next())
    after = endpoint.post("/api/operator/agenda", {}, headers={"Cookie": cookie}, source=sources.next())
    verdict.check(before.status == 200 and as_cookie.status == 401 and after.status == 401,
                  "operator session: works until logout, then 401 (replaying the cookie); the token as a cookie: 401",
                  f"{before.status} / token cookie {as_cookie.status} / after logout {after.status}")


def wait_for_password(endpoint: common.Endpoint, codice_fiscale: str, timeout: float = 30) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, subject, text in endpoint.mail():
            if codice_fiscale in text:
                match = re.search(r"Password[^:\n]*:\s*(\S{10})\b", text)
                if match:
                    return match.group(1)
        time.sleep(0.3)
    return None


def citizen_timing(endpoint: common.Endpoint, verdict: Verdict, tries: int) -> dict[str, str]:
    """Registers a few accounts (each takes at most 4 wrong passwords, below the lock); returns their passwords."""
    sources = Sources("127.11")
    accounts = [person(960 + i) for i in range(max(2, (tries + 3) // 4))]
    for someone in accounts:
        endpoint.post("/api/accounts", someone, source=sources.next())
    passwords = {}
    for someone in accounts:
        password = wait_for_password(endpoint, someone["codice_fiscale"])
        if password:
            passwords[someone["codice_fiscale"]] = password
    verdict.check(len(passwords) == len(accounts), "registration: the credentials mail carries the password",
                  f"{len(passwords)} of {len(accounts)}")
    unknown = [person(980 + i)["codice_fiscale"] for i in range(len(accounts))]
    exists, missing, statuses = [], [], set()
    for i in range(min(tries, 4 * len(accounts))):
        known_cf = accounts[i % len(accounts)]["codice_fiscale"]
        for cf, sample in ((known_cf, exists), (unknown[i % len(unknown)], missing)):
            elapsed, response = timed_post(endpoint, "/api/login", {"codice_fiscale": cf, "password": "Wr0ngPassw0rd"}, sources.next())
            sample.append(elapsed)
            statuses.add(response.status)
    verdict.check(statuses == {401}, "citizen sign-in: a wrong password and an unknown codice fiscale answer the same", str(sorted(statuses)))
    compare(verdict, "citizen sign-in (account, wrong password vs no account)", exists, missing)
    # Registering again answers like a first registration, and in the same time: creating an account syncs its
    # secret file and hands the mail over, which must not show in the answer's time.
    again, first, statuses = [], [], set()
    for i in range(8):
        known = dict(accounts[i % len(accounts)], email=f"again{i}@example.org", cellulare=f"333 987 {6000 + i}")
        fresh = dict(person(1000 + i), email=f"fresh{i}@example.org", cellulare=f"333 987 {7000 + i}")
        for someone, sample in ((known, again), (fresh, first)):
            elapsed, response = timed_post(endpoint, "/api/accounts", someone, sources.next())
            sample.append(elapsed)
            statuses.add(response.status)
    verdict.check(statuses == {202}, "registration: again or first, the same answer", str(sorted(statuses)))
    a, b = statistics.median(again), statistics.median(first)
    ratio = max(a, b) / max(min(a, b), 1e-6)
    verdict.check(ratio < REGISTER_RATIO, "registration (codice fiscale with an account vs without): the time does not tell",
                  f"median {a * 1000:.1f} ms again vs {b * 1000:.1f} ms first (ratio {ratio:.2f}, bound {REGISTER_RATIO})")
    return passwords


def files_and_secrets(endpoint: common.Endpoint, verdict: Verdict, passwords: dict[str, str]) -> None:
    var = endpoint.database.parent
    modes = {str(path.relative_to(endpoint.dir)): path.stat().st_mode & 0o777
             for path in [var, *var.rglob("*")] if path.exists() and not path.name.endswith(".lock")}
    wrong = {name: oct(mode) for name, mode in modes.items()
             if (mode != 0o700 if Path(endpoint.dir / name).is_dir() else mode & 0o077)}
    verdict.check(not wrong, "var/ is 0700, the database, its log and the spool files 0600", str(wrong))
    leaked = []
    for path in var.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            leaked += [str(path.relative_to(endpoint.dir)) for password in passwords.values() if password.encode() in data]
    verdict.check(passwords and not leaked, "no delivered password in the database, its -wal/-shm, the spool or the secrets folder",
                  str(leaked[:5]))


def security_headers(endpoint: common.Endpoint, verdict: Verdict) -> None:
    answers = [("GET /", endpoint.get("/")), ("GET /assets/sportello.css", endpoint.get("/assets/sportello.css")),
               ("GET 404", endpoint.get("/no-such-page")), ("GET /api/holds", endpoint.get("/api/holds")),
               ("POST page", endpoint.post("/api/holds", {"service": "nessuno", "slot": "1"}, source="127.0.12.1")),
               ("POST JSON", endpoint.post("/api/holds", {"service": "nessuno", "slot": "1"}, json_api=True, source="127.0.12.2"))]
    missing = [f"{what}: {name}" for what, response in answers for name, expected in SECURITY_HEADERS.items()
               if len(response.all(name)) != 1 or expected not in response.all(name)[0]]
    verdict.check(not missing, f"security headers on serve's own answers ({len(answers)} kinds), each once", str(missing[:6]))


def forged_identity(verdict: Verdict) -> None:
    """A second server with SPID/CIE identity configured; loopback is its trusted proxy."""
    def configure(config):
        config["identity"] = {"proxySecretHeader": "X-Sportello-Proxy-Secret", "proxySecret": PROXY_SECRET}
        config["booking"]["trustedProxies"] = ["127.0.0.1"]
    server = common.Endpoint("abuse-identity", configure=configure)
    try:
        server.start_endpoint()
        identity = {"X-Identity-Fiscal-Number": "TINIT-RSSMRA85T10A562S", "X-Identity-Given-Name": "Zqxforged",
                    "X-Identity-Family-Name": "Rossi"}
        results = {}
        for what, extra in [("no secret", {}), ("wrong secret", {"X-Sportello-Proxy-Secret": PROXY_SECRET[:-1] + "x"}),
                            ("short secret", {"X-Sportello-Proxy-Secret": PROXY_SECRET[:8]}),
                            ("empty secret", {"X-Sportello-Proxy-Secret": ""})]:
            response = server.post("/api/my-bookings", {}, headers={**identity, **extra}, source="127.0.0.1")
            results[what] = (response.status, b"Zqxforged" in response.body)
        genuine = server.post("/api/my-bookings", {}, headers={**identity, "X-Sportello-Proxy-Secret": PROXY_SECRET}, source="127.0.0.1")
        verdict.check(all(status == 401 and not shown for status, shown in results.values()),
                      "identity headers from loopback without the proxy's secret are ignored", str(results))
        verdict.check(genuine.status == 200 and b"Zqxforged" in genuine.body, "with the secret, the proxy's identity is believed",
                      str(genuine.status))
    finally:
        server.finish(False)


def run(endpoint: common.Endpoint, verdict: Verdict, token: str, quick: bool) -> None:
    tries = 9 if quick else 25
    security_headers(endpoint, verdict)
    operator_sessions(endpoint, verdict, token)
    operator_timing(endpoint, verdict, token, tries)
    passwords = citizen_timing(endpoint, verdict, 8 if quick else 16)
    # Let the worker hand over whatever it still holds, then look at the files.
    time.sleep(1)
    files_and_secrets(endpoint, verdict, passwords)
    forged_identity(verdict)
