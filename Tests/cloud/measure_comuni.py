"""The figures of README "Hosting many comuni": N synthetic comuni (`sportello-bench comune`, 10 services each) in
one `sportello serve --comuni DIR`: time until every comune answers its /api/health and until every start-up
rebuild has ended, and the process's resident memory (total and per comune).

    SPORTELLO_BIN=$PWD/.build/release/sportello .build/python/bin/python Tests/cloud/measure_comuni.py [--comuni 300]

Not a test (pytest does not collect it). Loopback only; stops what it starts and removes its folder."""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from stack import REPO, SPORTELLO, free_port, wait_for_port  # noqa: E402
from measure_scale import memory, synthetic  # noqa: E402


def health(port: int, host: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/api/health", headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def measure_once(folder: Path, hosts: list[str], arguments, run: str) -> None:
    port = free_port()
    log = folder / "serve.log"
    builds = log.read_text().count(" event=built ") if log.exists() else 0
    started = time.monotonic()
    process = subprocess.Popen([str(SPORTELLO), "serve", "--comuni", str(folder), "--templates",
                                str(REPO / "site-templates"), "--port", str(port)],
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port, process, log, "sportello serve --comuni", timeout=600)
        listening = time.monotonic() - started
        first_answer = None
        answering = []
        for host in hosts:
            # A comune not started yet answers 503 (the comuni start two at a time): asked again.
            while (status := health(port, host)) == 503 and time.monotonic() - started < 1200:
                time.sleep(0.1)
            first_answer = first_answer or time.monotonic() - started
            answering.append(status)
        all_answer = time.monotonic() - started
        while log.read_text().count(" event=built ") < builds + arguments.comuni:
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() - started < 1200, "rebuilds not done in 20 minutes"
            time.sleep(0.5)
        rebuilt = time.monotonic() - started
        time.sleep(2)
        resident, peak, private = memory(process.pid)
        threads = len(list(Path(f"/proc/{process.pid}/task").iterdir()))
        print(f"{run}: {arguments.comuni} comuni x {arguments.services} services in one serve: listening after "
              f"{listening:.1f} s, the first comune answering after {first_answer:.1f} s, all {answering.count(200)} health 200 after {all_answer:.1f} s, every start-up "
              f"rebuild done after {rebuilt:.1f} s; resident {resident:.0f} MiB (peak {peak:.0f} MiB, private "
              f"{private:.0f} MiB) = {resident / arguments.comuni:.2f} MiB per comune; {threads} threads")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comuni", type=int, default=300)
    parser.add_argument("--services", type=int, default=10)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sportello-comuni-"))
    try:
        print(f"binary: {SPORTELLO}")
        configuration = synthetic(arguments.services)
        hosts = []
        for n in range(arguments.comuni):
            configuration["comune"]["baseURL"] = f"https://prenota.comune{n:04d}.example.it"
            configuration["comune"]["name"] = f"Comune {n}"
            (folder / f"comune{n:04d}").mkdir()
            (folder / f"comune{n:04d}/sportello.json").write_text(json.dumps(configuration))
            hosts.append(f"prenota.comune{n:04d}.example.it")
        for run in ["first start (databases created)", "restart (databases and pages on disk)"]:
            measure_once(folder, hosts, arguments, run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
