"""A rush on one comune of a `serve --comuni` does not starve its neighbour (README "Hosting many comuni"): comune B
books every 100 ms while wrk rushes comune A with holds, with the default fair share of the workers. The bound is
generous (a debug build on a busy CI machine): it catches starvation (B's bookings failing or waiting seconds), not
a slowdown; the figures are measured_rush_beside.py's with a release build."""

import argparse
import shutil

import pytest

from measure_rush_beside import DEFAULT_SHARE, measure, percentile, synthetic_comune

B_P99_BOUND_MS = 2_000


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (.ci/cloud installs it)")
def test_a_rushed_comune_leaves_its_neighbour_booking():
    result = measure(synthetic_comune(), DEFAULT_SHARE, argparse.Namespace(seconds=6, connections=128))
    beside = result["latencies"].get("rush", [])
    # B kept booking at its pace (a booking every 100 ms for 6 s), and none of its requests failed.
    assert len(beside) >= 30, result
    assert not result["failures"], result["failures"]
    # A's rush met its share: its excess was answered 503 at once while it kept holding places.
    assert result["outcomes"].get("unclear 503", 0) > 0 and result["outcomes"].get("held", 0) > 0, result["outcomes"]
    assert percentile(beside, 99) < B_P99_BOUND_MS, sorted(beside)[-5:]
