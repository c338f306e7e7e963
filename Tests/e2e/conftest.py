"""Fixtures of the end-to-end suite: the stacks (endpoint + nginx), the browsers, and the closing summary."""

from __future__ import annotations

import shutil

import pytest

from browser import SCREENSHOTS, chrome
from checks import REPORT
from stack import ARTIFACTS, SPORTELLO, Stack


def pytest_sessionstart(session):
    if not SPORTELLO.exists():
        pytest.exit(f"{SPORTELLO} is missing: run `swift build` first (.ci/e2e does)", returncode=2)
    for folder in (ARTIFACTS, SCREENSHOTS):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)


def pytest_terminal_summary(terminalreporter):
    lines = REPORT.lines()
    if lines:
        terminalreporter.section("Sportello end-to-end summary")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def main_stack():
    """The demo comune behind nginx, holds of 10 minutes as in production."""
    stack = Stack("main").start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def driver():
    browser = chrome()
    yield browser
    browser.quit()


@pytest.fixture
def second_driver():
    browser = chrome()
    yield browser
    browser.quit()
