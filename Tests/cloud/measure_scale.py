"""The memory figures of docs/SCALE.md: resident memory of one `sportello serve` per comune, idle after its start-up
rebuild and after a run of bookings, for the demo comune and synthetic comuni (`sportello-bench comune`).

    SPORTELLO_BIN=.build/release/sportello .build/python/bin/python Tests/cloud/measure_scale.py [--bookings 300]

Not a test (pytest does not collect it): it prints a table. Loopback only; stops what it starts."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from people import person  # noqa: E402
from stack import REPO, SPORTELLO, UNLIMITED, Stack  # noqa: E402


def memory(pid: int) -> tuple[float, float, float]:
    """(VmRSS, VmHWM, private) in MiB: private is what the process alone holds (not the program's code and the
    libraries, which every serve on a host shares), the cost of one more comune."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    rollup = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    private = sum(int(rollup[key].split()[0]) for key in ("Private_Clean", "Private_Dirty"))
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024, private / 1024


def synthetic(services: int) -> dict:
    bench = REPO / ".build/release/sportello-bench"
    if not bench.exists():
        bench = REPO / ".build/debug/sportello-bench"
    return json.loads(subprocess.run([str(bench), "comune", "--services", str(services)], capture_output=True,
                                     check=True).stdout)


def measure(name: str, configuration: dict | None, bookings: int) -> None:
    stack = Stack(f"scale-{name}")
    if configuration is not None:
        configuration["comune"]["baseURL"] = stack.origin
        configuration.setdefault("booking", {})["requestsPerMinutePerAddress"] = 0
        configuration["booking"]["maxActiveBookingsPerPerson"] = None
        configuration["limits"] = {key: 0 for key in UNLIMITED}
        stack.configuration = configuration
        stack.config.write_text(json.dumps(configuration, ensure_ascii=False))
    try:
        started = time.monotonic()
        stack.start_endpoint()
        built = time.monotonic() - started
        stack.port = stack.upstream_port
        time.sleep(1)
        idle, _, idle_private = memory(stack.endpoint.pid)
        pages = sum(1 for p in stack.output.rglob("*.html"))
        services = [s.parent.name for s in stack.week_files()]
        services = sorted(set(services))[:10]
        made = 0
        n = 0
        while made < bookings and n < bookings * 3:
            service = services[n % len(services)]
            slots = []
            for week in stack.week_files(service)[:2]:
                slots += [int(v) for v in __import__("re").findall(r'name="slot" value="(\d+)"', week.read_text())]
            n += 1
            if not slots:
                continue
            held = stack.post("/api/holds", {"service": service, "slot": slots[n % len(slots)]}, json_api=True,
                              origin=None)
            if held.status != 201:
                continue
            booked = stack.post("/api/bookings", {"hold": held.json()["hold"]["token"], **person(n)}, json_api=True,
                                origin=None)
            made += booked.status == 201
        time.sleep(1)
        busy, peak, busy_private = memory(stack.endpoint.pid)
        database = sum(p.stat().st_size for p in stack.database.parent.glob("sportello.sqlite*"))
        print(f"{name:>16}  {pages:>6}  {built:>7.1f}  {idle:>8.1f}  {idle_private:>7.1f}  {made:>8}  {busy:>9.1f}  "
              f"{busy_private:>8.1f}  {peak:>8.1f}  {database / 1048576:>6.1f}", flush=True)
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--services", default="10,100,1000")
    arguments = parser.parse_args()
    print(f"binary: {SPORTELLO}")
    print("          comune   pages  start s  idle MiB  private  bookings  after MiB  private  peak MiB  db MiB")
    measure("demo", None, arguments.bookings)
    for services in [int(s) for s in arguments.services.split(",")]:
        measure(f"synthetic {services}", synthetic(services), arguments.bookings)


if __name__ == "__main__":
    main()
