"""The rush-beside figure of README "Hosting many comuni": two synthetic comuni (`sportello-bench comune`, 10
services each) in one `sportello serve --comuni DIR`; comune B books at a steady modest rate (a hold and its
confirmation every 100 ms, one citizen after another) first alone, then while wrk rushes comune A with holds
(128 connections, Tests/bench/holds.lua). Twice: with the fair share of the workers off
(`--workers-per-comune` = all the workers) and on (the default, a quarter). Prints B's booking latency (hold +
confirmation) p50/p99/max for each phase, and what A's rush got.

    SPORTELLO_BIN=$PWD/.build/release/sportello .build/python/bin/python Tests/cloud/measure_rush_beside.py \\
        [--seconds 10] [--connections 128] [--shares 16,4]

About 50 s (25 s a run). Not a test (pytest does not collect it; test_3_rush_beside.py runs it once, bounded).
Loopback only; stops what it starts."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from people import person  # noqa: E402
from stack import REPO, SPORTELLO, UNLIMITED, Stack, free_port, wait_for_port  # noqa: E402
from measure_scale import synthetic  # noqa: E402

HOSTS = {"a": "prenota.rush.example.it", "b": "prenota.steady.example.it"}
WORKERS = max(64, 16 * (os.cpu_count() or 1))  # HTTPLimits.standard.workers
DEFAULT_SHARE = max(1, WORKERS // 4)  # WorkerShare.standardLimit


def post(port: int, host: str, path: str, fields: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=urllib.parse.urlencode(fields).encode(),
                           headers={"Host": host, "Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, {}
    finally:
        connection.close()


def places(folder: Path) -> list[tuple[str, int]]:
    found = []
    output = folder / "output"
    for page in [*output.rglob("servizi/*/20*-W*.html"), *output.rglob("servizi/*/20*-W*/index.html")]:
        service = page.relative_to(output).parts
        service = service[service.index("servizi") + 1]
        found += [(service, int(slot)) for slot in re.findall(r'name="slot" value="(\d+)"', page.read_text())]
    return sorted(set(found))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class SteadyBooker(threading.Thread):
    """Comune B's citizens: one booking (hold + confirmation) every `interval` seconds, latencies kept per phase."""

    def __init__(self, port: int, slots: list[tuple[str, int]], interval: float = 0.1):
        super().__init__(daemon=True)
        self.port, self.slots, self.interval = port, slots, interval
        self.phase = "quiet"
        self.latencies: dict[str, list[float]] = {}
        self.failures: dict[str, list[int]] = {}
        self.stopping = threading.Event()
        self.n = random.randrange(0, 2_000)  # person(n) makes valid numbers below 5,500

    def run(self) -> None:
        next_start = time.monotonic()
        while not self.stopping.is_set():
            next_start += self.interval
            phase, self.n = self.phase, self.n + 1
            service, slot = random.choice(self.slots)
            started = time.monotonic()
            status, held = post(self.port, HOSTS["b"], "/api/holds", {"service": service, "slot": slot})
            if status == 201:
                status, held = post(self.port, HOSTS["b"], "/api/bookings",
                                 {"hold": held["hold"]["token"], **person(self.n)})
            if status == 201:
                self.latencies.setdefault(phase, []).append((time.monotonic() - started) * 1000)
            elif status != 409:  # a place taken already is the citizen's luck, not the server's
                self.failures.setdefault(phase, []).append(status)
                if os.environ.get("DEBUG_RUSH"):
                    print(status, held, file=sys.stderr)
            time.sleep(max(0.0, next_start - time.monotonic()))


def run_serve(folder: Path, workers_per_comune: int, arguments, places_file: Path) -> dict:
    port = free_port()
    log = folder / "serve.log"
    builds = log.read_text().count(" event=built ") if log.exists() else 0
    process = subprocess.Popen([str(SPORTELLO), "serve", "--comuni", str(folder), "--templates",
                                str(REPO / "site-templates"), "--port", str(port),
                                "--workers-per-comune", str(workers_per_comune)],
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port, process, log, "sportello serve --comuni", timeout=60)
        deadline = time.monotonic() + 120
        while log.read_text().count(" event=built ") < builds + 2:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        if not places_file.exists():
            places_file.write_text("".join(f"{s} {t}\n" for s, t in places(folder / "rush")))
        booker = SteadyBooker(port, places(folder / "steady"))
        booker.start()
        time.sleep(arguments.seconds / 2)
        booker.phase = "rush"
        rush = subprocess.run(["wrk", "-t1", f"-c{arguments.connections}", f"-d{arguments.seconds}s",
                               "-s", str(REPO / "Tests/bench/holds.lua"), f"http://127.0.0.1:{port}",
                               "--", str(places_file), HOSTS["a"]], capture_output=True, text=True, timeout=120)
        booker.stopping.set()
        booker.join(timeout=60)
        outcomes = dict((m[0], int(m[1])) for m in re.findall(r"^outcome (.+) (\d+)$", rush.stdout, re.M))
        return {"latencies": booker.latencies, "failures": booker.failures, "outcomes": outcomes,
                "rush_p99": re.search(r"latency p99 ([\d.]+) ms", rush.stdout).group(1),
                "rush_requests": int(re.search(r"^requests (\d+)", rush.stdout, re.M).group(1))}
    finally:
        Stack._stop(process)


def synthetic_comune() -> dict:
    """A synthetic comune of 10 services with the per-client limits off (every client is 127.0.0.1 here)."""
    configuration = synthetic(10)
    configuration.setdefault("booking", {})["requestsPerMinutePerAddress"] = 0
    configuration["booking"]["maxActiveBookingsPerPerson"] = None
    configuration["limits"] = {key: 0 for key in UNLIMITED}
    return configuration


def measure(configuration: dict, workers: int, arguments) -> dict:
    """One serve of two fresh comuni (the holds of a previous rush would fill comune A's places): B quiet, then B
    beside A's rush."""
    folder = Path(tempfile.mkdtemp(prefix="sportello-rush-beside-"))
    try:
        for name, host in [("rush", HOSTS["a"]), ("steady", HOSTS["b"])]:
            configuration["comune"]["baseURL"] = f"https://{host}"
            (folder / name).mkdir()
            (folder / name / "sportello.json").write_text(json.dumps(configuration))
        return run_serve(folder, workers, arguments, folder / "places.txt")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="length of the rush (the quiet phase is half)")
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--shares", default=f"{WORKERS},{DEFAULT_SHARE}",
                        help="the --workers-per-comune of each run (all the workers: the share off)")
    arguments = parser.parse_args()
    print(f"binary: {SPORTELLO}; {WORKERS} workers; rush on A: wrk, {arguments.connections} connections, holds "
          f"for {arguments.seconds} s; B: a booking (hold + confirmation) every 100 ms")
    configuration = synthetic_comune()
    print("fair share          phase  B bookings  B p50 ms  B p99 ms  B max ms  B failed   A requests/s  "
          "A p99 ms  A outcomes")
    for workers in [int(w) for w in arguments.shares.split(",")]:
        share = "off" if workers >= WORKERS else "on (default)" if workers == DEFAULT_SHARE else "on"
        result = measure(configuration, workers, arguments)
        for phase in ["quiet", "rush"]:
            values = result["latencies"].get(phase, [])
            rush = phase == "rush"
            print(f"{share + f' ({min(workers, WORKERS)}/{WORKERS})':<18}  {phase:>5}  {len(values):>10}  "
                  f"{percentile(values, 50):>8.1f}  {percentile(values, 99):>8.1f}  "
                  f"{max(values, default=float('nan')):>8.1f}  {len(result['failures'].get(phase, [])):>8}   "
                  + (f"{result['rush_requests'] / arguments.seconds:>12.0f}  {result['rush_p99']:>8}  "
                     f"{json.dumps(result['outcomes'], sort_keys=True)}" if rush else ""), flush=True)


if __name__ == "__main__":
    main()
