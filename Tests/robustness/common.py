"""What crash.py and hostile.py share: one `sportello serve` on a temporary copy of the demo comune (the e2e
suite's Stack, without nginx: the endpoint's own port is the site's origin), a fake sendmail, read-only looks at
the database, checks of output/ and latency figures."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests/e2e"))

import stack  # noqa: E402  (the e2e suite's stack: temp dirs, config copy, ports, process start)
from people import person  # noqa: E402,F401  (made-up people with valid codici fiscali)

ROME = ZoneInfo("Europe/Rome")
LOGS = REPO / ".build/robustness/logs"

# A stand-in for `sendmail -t -i`: each message lands whole in mail/ (written aside, then renamed), nothing is sent.
FAKE_SENDMAIL = """#!/bin/sh
# sendmail -t -i stand-in: keeps each message, sends nothing.
dir="$(dirname "$0")/mail"
tmp="$dir/.partial.$$"
cat > "$tmp" && mv "$tmp" "$dir/$(date +%s%N).$$.eml"
"""


def use_binary(path: str | None) -> Path:
    """The sportello binary: the argument, else $SPORTELLO_BIN, else .build/debug/sportello."""
    binary = Path(path or os.environ.get("SPORTELLO_BIN") or REPO / ".build/debug/sportello").resolve()
    if not os.access(binary, os.X_OK):
        sys.exit(f"{binary}: not found; build it with `swift build --product sportello`")
    stack.SPORTELLO = binary
    return binary


def raise_file_limit() -> int:
    """Hundreds of sockets on both ends: the server started from here inherits the raised limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Endpoint(stack.Stack):
    """`sportello serve` alone on a free loopback port, which is also the comune's baseURL. Notifications by mail
    go to the fake sendmail (reminders off: only what the test causes is queued). `configure` edits the config."""

    def __init__(self, name: str, configure=None):
        super().__init__(name)
        self.port = self.upstream_port
        self.origin = f"http://127.0.0.1:{self.port}"
        config = self.configuration
        config["comune"]["baseURL"] = self.origin
        config["notifications"]["reminderHoursBefore"] = 0
        if configure:
            configure(config)
        (self.dir / "sendmail").write_text(FAKE_SENDMAIL)
        self.config.write_text(json.dumps(config, ensure_ascii=False, indent=1))

    @property
    def pid(self) -> int:
        return self.endpoint.pid

    def kill9(self) -> None:
        """SIGKILL to the server process only, as a crash would: the delivery wrappers it started live on."""
        os.kill(self.endpoint.pid, signal.SIGKILL)
        self.endpoint.wait(timeout=10)

    def alive(self) -> bool:
        return self.endpoint is not None and self.endpoint.poll() is None

    def sportello(self, *arguments: str) -> str:
        """Runs another sportello command on this stack's config and database; returns its output."""
        import subprocess
        result = subprocess.run([str(stack.SPORTELLO), *arguments, "--config", str(self.config), "--templates",
                                 str(self.templates), "--output", str(self.output), "--database", str(self.database)],
                                capture_output=True, text=True, timeout=120, cwd=self.dir)
        if result.returncode != 0:
            raise RuntimeError(f"sportello {' '.join(arguments)}: {result.returncode}\n{result.stdout}{result.stderr}")
        return result.stdout

    def finish(self, keep: bool) -> Path:
        """Stops the server; keeps its log (and, with `keep`, the whole folder) under .build/robustness/logs."""
        self._stop(self.endpoint)
        logs = LOGS / self.name
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True, exist_ok=True)
        for name in ["sportello.log", "sportello.json"]:
            if (self.dir / name).exists():
                shutil.copy(self.dir / name, logs / name)
        if keep:
            return self.dir
        shutil.rmtree(self.dir, ignore_errors=True)
        return logs

    def db(self) -> sqlite3.Connection:
        """The database, read-only."""
        return sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)

    def mail_files(self) -> list[Path]:
        folder = self.dir / "mail"
        return sorted(folder.glob("*.eml")) if folder.exists() else []


def capacities(config: dict) -> dict[str, int]:
    """Bookable services (leaves of the tree) and their capacity (inherited from the office, else 1); a service
    with desks has one place per desk at a start."""
    result: dict[str, int] = {}

    def walk(services, inherited):
        for service in services:
            capacity = service.get("capacity", inherited)
            if service.get("children"):
                walk(service["children"], capacity)
            else:
                result[service["id"]] = len(service["desks"]) if service.get("desks") else capacity
    walk(config["services"], 1)
    return result


def desk_services(config: dict) -> set[str]:
    """The bookable services with desks: their places at a start also depend on the other services sharing them."""
    found: set[str] = set()

    def walk(services):
        for service in services:
            if service.get("children"):
                walk(service["children"])
            elif service.get("desks"):
                found.add(service["id"])
    walk(config["services"])
    return found


def week_file(output: Path, service: str, start: int) -> Path:
    local = datetime.fromtimestamp(start, ROME)
    year, week, _ = local.isocalendar()
    return output / "servizi" / service / f"{year}-W{week:02d}.html"


CELL = re.compile(r'<li class="([a-zA-Z-]+)">(.*?)</li>', re.S)


def cell(html: str, start: int) -> tuple[str, str] | None:
    """(state, inner HTML) of the week-page cell of the slot starting at `start` (its Europe/Rome day's section,
    the item with its time)."""
    local = datetime.fromtimestamp(start, ROME)
    day = re.search(r'<section class="day[^"]*" id="d-%s">(.*?)</section>' % local.strftime("%Y-%m-%d"), html, re.S)
    if not day:
        return None
    found = [c for c in CELL.findall(day.group(1)) if f"<b>{local:%H:%M}</b>" in c[1]]
    return found[0] if len(found) == 1 else None


def free_slots(output: Path, services: list[str], skip_weeks: int = 1) -> list[tuple[str, int]]:
    """(service, start) of every free slot on the published week pages, leaving out the first `skip_weeks` weeks
    (their slots may turn past or out of notice while the test runs)."""
    slots = []
    for service in services:
        weeks = sorted((output / "servizi" / service).glob("20*-W*.html"))
        for page in weeks[skip_weeks:]:
            slots += [(service, int(v)) for v in re.findall(r'name="slot" value="(\d+)"', page.read_text())]
    return slots


def check_output(output: Path, compare_gz: bool = True) -> dict:
    """Every .html ends with </html>; every .gz decompresses and (with `compare_gz`) equals its page.
    Returns counts and a list of problems; leftover temporary files are counted apart."""
    problems: list[str] = []
    html = gz = 0
    temporaries = []
    for path in output.rglob("*"):
        if not path.is_file():
            continue
        name = path.name
        if ".tmp-" in name:
            temporaries.append(str(path.relative_to(output)))
            continue
        if name.endswith(".html"):
            html += 1
            data = path.read_bytes()
            if not data.rstrip().endswith(b"</html>"):
                problems.append(f"truncated page {path.relative_to(output)} ({len(data)} bytes)")
        elif name.endswith(".gz"):
            gz += 1
            try:
                unpacked = gzip.decompress(path.read_bytes())
            except (OSError, EOFError) as error:
                problems.append(f"bad gzip {path.relative_to(output)}: {error}")
                continue
            page = path.with_name(name[:-3])
            if compare_gz and page.exists() and unpacked != page.read_bytes():
                problems.append(f"{path.relative_to(output)} differs from its page")
    return {"html": html, "gz": gz, "problems": problems, "temporaries": temporaries}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]  # nearest rank


def latency_line(values: list[float]) -> str:
    """'n=…, median … ms, p99 … ms, max … ms' for latencies in seconds."""
    if not values:
        return "n=0"
    return (f"n={len(values)}, median {statistics.median(values) * 1000:.1f} ms, p99 {percentile(values, 99) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms")


class Verdict:
    """Collects failed checks; prints each check as it is decided."""

    def __init__(self):
        self.failures: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}" + (f": {detail}" if detail else ""), flush=True)
        if not ok:
            self.failures.append(what + (f": {detail}" if detail else ""))
        return ok

    def exit(self) -> None:
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed:")
            for failure in self.failures:
                print(f"  - {failure[:2000]}")
            sys.exit(1)
        print("\nall checks passed")


def now() -> float:
    return time.monotonic()


def shown(endpoint, posted, headers: dict | None = None, source: str | None = None):
    """What a browser shows after `posted`: a form's 303 to /api/page (redirect-after-POST) followed with the page
    cookie it set, any other answer as it is."""
    location = posted.header("Location") or ""
    if posted.status != 303 or not location.startswith("/api/page?p="):
        return posted
    page = [value.split(";")[0] for value in posted.all("Set-Cookie") if value.startswith("sportello_pages=")]
    sent = {k: v for k, v in (headers or {}).items() if k.lower() not in ("cookie", "content-type")}
    cookie = "; ".join([v for k, v in (headers or {}).items() if k.lower() == "cookie"] + page)
    if cookie:
        sent["Cookie"] = cookie
    page_answer = endpoint.request("GET", location, headers=sent, source=source)
    # The POST's own cookies (a visitor's session, a hold's) stay with the answer, as the browser keeps them.
    own = [(k, v) for k, v in posted.headers if k.lower() == "set-cookie" and not v.startswith("sportello_pages=")]
    return stack.Response(page_answer.status,
                          [(k, v) for k, v in page_answer.headers if k.lower() != "set-cookie"] + own,
                          page_answer.body)
