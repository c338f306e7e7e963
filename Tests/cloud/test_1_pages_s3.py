"""Pages to object storage (README "Pages from object storage"): `sportello serve` copies output/ to a bucket of a
local S3 server (moto) through rclone after each publish batch, with the headers nginx would send, deletions
included; a booking reaches the bucket within BOOKING_TO_BUCKET seconds, a full rebuild uploads only the files
that changed, and an outage of the bucket delays uploads (reported in /api/health) without losing any."""

from __future__ import annotations

import gzip
import os
import signal
import time

import pytest

from cloud import Comune, Gate, Moto, bucket_files
from people import person

BUCKET = "sportello-pages"
# The time the README states between a booking's answer and its week page in the bucket.
BOOKING_TO_BUCKET = 5.0


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s3")
    moto = Moto(folder)
    moto.client().create_bucket(Bucket=BUCKET)
    gate = Gate(moto.port)
    comune = Comune("s3", BUCKET, gate.endpoint, moto.credentials)
    try:
        comune.start()
        yield moto, gate, comune
    finally:
        comune.stop()
        gate.close()
        moto.stop()


def assert_bucket_is_output(moto: Moto, comune: Comune) -> dict:
    local = comune.local_files()
    remote = bucket_files(moto.client(), BUCKET, comune.prefix)
    assert set(remote) == set(local), f"only in the bucket: {sorted(set(remote) - set(local))[:5]}, " \
                                      f"only in output/: {sorted(set(local) - set(remote))[:5]}"
    client = moto.client()
    for path in [p for p in local if p.endswith("index.html")][:5]:
        body = client.get_object(Bucket=BUCKET, Key=f"{comune.prefix}/{path}")["Body"].read()
        assert body == local[path], path
    return remote


def test_pages_reach_the_bucket_with_their_headers(setup):
    moto, _, comune = setup
    state, _ = comune.wait_for_upload(moto.client(), BUCKET, 60, "start-up")
    assert state["uploaded"] > 0
    assert_bucket_is_output(moto, comune)
    client = moto.client()
    page = client.head_object(Bucket=BUCKET, Key=f"{comune.prefix}/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "no-cache"
    assert "ContentEncoding" not in page
    twin = client.get_object(Bucket=BUCKET, Key=f"{comune.prefix}/index.html.gz")
    assert twin["ContentType"] == "text/html; charset=utf-8"
    assert twin["ContentEncoding"] == "gzip"
    assert gzip.decompress(twin["Body"].read()) == (comune.output / "index.html").read_bytes()
    css = next(p for p in comune.local_files() if p.startswith("assets/") and p.endswith(".css"))
    asset = client.head_object(Bucket=BUCKET, Key=f"{comune.prefix}/{css}")
    assert asset["ContentType"] == "text/css; charset=utf-8"
    assert asset["CacheControl"] == "public, max-age=3600"


def week_of(comune: Comune, service: str, start: int) -> str:
    for week in comune.stack.week_files(service):
        if f'value="{start}"' in week.read_text():
            return str(week.relative_to(comune.output))
    raise AssertionError(f"no week page offers {start}")


def test_a_booking_reaches_the_bucket_in_seconds(setup):
    moto, _, comune = setup
    comune.wait_for_upload(moto.client(), BUCKET, 60, "before the booking")
    client = moto.client()
    start = comune.free_slot("tari", skip=3)
    week = week_of(comune, "tari", start)
    before = client.get_object(Bucket=BUCKET, Key=f"{comune.prefix}/{week}")["Body"].read()
    answered = time.monotonic()
    comune.book("tari", person(101), skip=3)
    while True:
        body = client.get_object(Bucket=BUCKET, Key=f"{comune.prefix}/{week}")["Body"].read()
        if body != before and f'value="{start}"' not in body.decode():
            break
        assert time.monotonic() - answered < BOOKING_TO_BUCKET, f"{week} not changed in the bucket in time"
        time.sleep(0.05)
    print(f"booking answered -> week page changed in the bucket: {time.monotonic() - answered:.2f} s")


def test_removed_pages_are_deleted_and_a_rebuild_uploads_only_what_changed(setup):
    moto, _, comune = setup
    comune.wait_for_upload(moto.client(), BUCKET, 60, "before removing")
    before = comune.health()["objectStorage"]
    # Two pages vanish from output/ (as a week leaving the window does): the next batch deletes them.
    # Not a page the booking re-renders: the booked service's, its office's, and those of the services sharing
    # its desks (the demo anagrafe's three).
    touched = {f"en/servizi/{id}/index.html" for id in ["anagrafe", "carta-identita", "residenza", "certificati"]}
    removed = [p for p in sorted(comune.local_files())
               if p.startswith("en/servizi/") and p.endswith("index.html") and p not in touched][:1]
    removed += [p + ".gz" for p in removed]
    for path in removed:
        (comune.output / path).unlink()
    comune.book("certificati", person(102), skip=2)
    state, _ = comune.wait_for_upload(moto.client(), BUCKET, 30, "after removing")
    remote = assert_bucket_is_output(moto, comune)
    assert not set(removed) & set(remote)
    assert state["deleted"] - before["deleted"] == len(removed)

    # A full rebuild (SIGHUP: same process, restarted in place) rewrites only what differs: the two pages again.
    stamps = {p: os.stat(comune.output / p).st_ino for p in comune.local_files()}
    unchanged = next(p for p in stamps if p.endswith("index.html") and p.startswith("servizi/"))
    modified = moto.client().head_object(Bucket=BUCKET, Key=f"{comune.prefix}/{unchanged}")["LastModified"]
    builds = comune.log.read_text().count(" event=built ")
    os.kill(comune.stack.endpoint.pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while comune.log.read_text().count(" event=built ") == builds:
        assert time.monotonic() < deadline, "no rebuild after SIGHUP"
        time.sleep(0.1)
    state, _ = comune.wait_for_upload(moto.client(), BUCKET, 30, "after the rebuild")
    changed = {p for p, data in comune.local_files().items() if stamps.get(p) != os.stat(comune.output / p).st_ino}
    assert set(removed) <= changed
    assert state["uploaded"] == len(changed), (state, sorted(changed))
    assert len(changed) < len(stamps) / 10
    print(f"full rebuild: {state['uploaded']} of {len(stamps)} files uploaded (those whose bytes changed)")
    assert moto.client().head_object(Bucket=BUCKET, Key=f"{comune.prefix}/{unchanged}")["LastModified"] == modified
    assert_bucket_is_output(moto, comune)


def test_an_outage_delays_uploads_and_loses_none(setup):
    moto, gate, comune = setup
    comune.wait_for_upload(moto.client(), BUCKET, 60, "before the outage")
    gate.close()
    try:
        comune.book("tari", person(103), skip=5)
        comune.book("carta-identita", person(104), skip=5)
        deadline = time.monotonic() + 20
        while True:
            response = comune.stack.request("GET", "/api/health")
            state = response.json().get("objectStorage", {})
            if not state.get("ok") and state.get("pending", 0) > 0:
                break
            assert time.monotonic() < deadline, f"health does not report the outage: {state}"
            time.sleep(0.1)
        assert response.status == 503
        assert "objectStorage" in response.json()["degraded"]
        assert "rclone" in state["error"]
        local = comune.local_files()
        remote = bucket_files(moto.client(), BUCKET, comune.prefix)
        assert any(moto.client().get_object(Bucket=BUCKET, Key=f"{comune.prefix}/{p}")["Body"].read() != local[p]
                   for p in local if p.startswith("servizi/tari/") and p in remote), "the bucket changed during the outage"
    finally:
        gate.open()
    reopened = time.monotonic()
    # Retried with backoff (at most 30 s between attempts): everything arrives without a new booking.
    comune.wait_for_upload(moto.client(), BUCKET, 40, "after the outage")
    print(f"bucket back -> every pending file uploaded: {time.monotonic() - reopened:.1f} s")
    assert_bucket_is_output(moto, comune)
    assert comune.stack.request("GET", "/api/health").status == 200
