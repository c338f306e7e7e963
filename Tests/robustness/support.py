"""What the robustness scripts share: a `Stack` (Tests/e2e/stack.py) started with settings of their own, the
free slots its week pages offer, and checks that print as they go and are summed up at the end."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from stack import Stack  # noqa: E402

FAILURES: list[str] = []


def check(condition: bool, what: str) -> None:
    print(("  ok    " if condition else "  FAIL  ") + what)
    if not condition:
        FAILURES.append(what)


def summary(name: str) -> int:
    print(f"{name}: {'FAILED: ' + '; '.join(FAILURES) if FAILURES else 'every check passed'}")
    return 1 if FAILURES else 0


def started_endpoint(name: str, booking: dict, notifications: dict) -> Stack:
    """The demo comune's `sportello serve` alone (no nginx), with these booking and notification settings."""
    stack = Stack(name)
    stack.configuration["booking"].update(booking)
    stack.configuration["notifications"].update(notifications)
    stack.config.write_text(json.dumps(stack.configuration, ensure_ascii=False, indent=1))
    stack.start_endpoint()
    return stack


def free_slots(stack: Stack) -> list[tuple[str, int]]:
    """(service, slot start) of every slot the published week pages offer."""
    slots = []
    for page in stack.week_files():
        for value in re.findall(r'name="slot" value="(\d+)"', page.read_text()):
            slots.append((page.parent.name, int(value)))
    return slots
