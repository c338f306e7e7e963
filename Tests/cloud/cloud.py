"""What the object-storage tests share: a local S3 server (moto), a gate in front of it that can be shut (a bucket
outage as the host sees it: connections refused, objects kept), and `sportello serve` of the demo comune as the
end-to-end suite starts it (Tests/e2e/stack.py), talking to its endpoint directly (no nginx)."""

from __future__ import annotations

import hashlib
import json
import re
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from stack import REPO, Stack, free_port, tail, wait_for_port  # noqa: E402

VENV_BIN = REPO / ".build/python/bin"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


class Moto:
    """`moto_server` on a loopback port: an S3 service in memory."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = folder / "moto.log"
        self.process = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        wait_for_port(self.port, self.process, self.log, "moto_server", timeout=60)
        self.credentials = folder / "credentials"
        self.credentials.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
        self.credentials.chmod(0o600)

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 1}))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Gate:
    """A TCP relay from its own port to moto's. `close()` stops listening and cuts the open connections (the bucket
    is unreachable); `open()` listens again on the same port. The objects stay in moto all along."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.open()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        with self.lock:
            listener, self.listener = self.listener, None
            connections, self.connections = self.connections, []
        if listener:
            # shutdown wakes the thread blocked in accept(); a bare close would leave the port bound until then.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _relay(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 30)
                if not ready:
                    break
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except OSError:
            pass
        finally:
            a.close()
            b.close()


class Comune:
    """`sportello serve` of the demo comune with `publish.s3` pointing at `endpoint`, requests sent to its
    endpoint directly (the Origin is still the configured site's)."""

    def __init__(self, name: str, bucket: str, endpoint: str, credentials: Path, prefix: str = "valfiorita"):
        self.stack = Stack(name)
        self.stack.configuration["publish"] = {"s3": {"bucket": bucket, "endpoint": endpoint, "prefix": prefix,
                                                      "credentialsFile": str(credentials)}}
        self.stack.config.write_text(json.dumps(self.stack.configuration, ensure_ascii=False, indent=1))
        self.prefix = prefix

    @property
    def output(self) -> Path:
        return self.stack.output

    @property
    def log(self) -> Path:
        return self.stack.dir / "sportello.log"

    def start(self) -> "Comune":
        self.stack.start_endpoint()
        # No nginx: requests go to the endpoint's port, with the site's Origin.
        self.stack.port = self.stack.upstream_port
        return self

    def stop(self) -> None:
        self.stack.stop()

    def health(self) -> dict:
        return self.stack.request("GET", "/api/health").json()

    def wait_for_upload(self, client, bucket: str, timeout: float, what: str) -> tuple[dict, float]:
        """Waits until the uploader reports nothing pending and the bucket holds exactly output/ (same paths, same
        MD5s); returns the uploader's health and the seconds taken."""
        started = time.monotonic()
        while True:
            state = self.health().get("objectStorage", {})
            if state.get("ok") and state.get("pending") == 0 and self.bucket_matches(client, bucket):
                return state, time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{what}: uploads not done within {timeout} s: {state}\n{tail(self.log)}")
            time.sleep(0.1)

    def bucket_matches(self, client, bucket: str) -> bool:
        local = self.local_files()
        remote = bucket_files(client, bucket, self.prefix)
        return set(local) == set(remote) and all(remote[p]["ETag"].strip('"') == hashlib.md5(data).hexdigest()
                                                 for p, data in local.items())

    def local_files(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.output)): p.read_bytes() for p in self.output.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.output).parts)}

    def free_slot(self, service: str, skip: int = 0) -> int:
        slots = []
        for week in self.stack.week_files(service):
            slots += [int(v) for v in re.findall(r'<input type="radio" name="slot" value="(\d+)"', week.read_text())]
            if len(slots) > skip:
                return slots[skip]
        raise AssertionError(f"no free slot for {service}")

    def book(self, service: str, someone: dict, skip: int = 0) -> tuple[int, str]:
        start = self.free_slot(service, skip)
        held = self.stack.post("/api/holds", {"service": service, "slot": start}, json_api=True, origin=None)
        assert held.status == 201, held.text
        booked = self.stack.post("/api/bookings", {"hold": held.json()["hold"]["token"], **someone}, json_api=True,
                                 origin=None)
        assert booked.status == 201, booked.text
        return start, booked.json()["booking"]["code"]


def bucket_files(client, bucket: str, prefix: str) -> dict[str, dict]:
    """Every object under `prefix/`, by path relative to it."""
    objects = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            objects[item["Key"][len(prefix) + 1:]] = item
    return objects
