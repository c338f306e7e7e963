"""Approval per service, in the browser through nginx: a citizen's request waits as "in attesa di conferma" (its
slot taken on the public week), the clerk confirms it from the agenda and the citizen sees it booked; a second
request is refused with a reason and its slot is free again."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime

import pytest

from browser import ROME, Citizen, poll_cell, text
from checks import assert_valid_html
from people import person
from stack import REPO, SPORTELLO, Stack
from test_6_accounts import book_by_api, keep_as_served

pytestmark = pytest.mark.skipif(not (REPO / "site-templates/mail/requested.txt").exists(),
                                reason="this version has no approval")

SERVICE = "certificati"


@pytest.fixture(scope="module")
def approval_stack():
    """The demo comune, with the certificates needing the office's approval."""
    stack = Stack("approval")

    def require(nodes):
        for node in nodes:
            if node["id"] == SERVICE:
                node["approval"] = {"required": True, "expiresHoursBefore": 2}
            require(node.get("children", []))

    require(stack.configuration["services"])
    stack.config.write_text(json.dumps(stack.configuration, ensure_ascii=False, indent=1))
    stack.start()
    yield stack
    stack.stop()


def sign_in(citizen, stack, name: str) -> None:
    """A new operator for every office, signed in through the static sign-in page."""
    added = subprocess.run([str(SPORTELLO), "operator", "add", name, "--scope", "*", "--config",
                            str(stack.config), "--database", str(stack.database)],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = re.search(r"\bop\d+-\S+", added.stdout).group(0)
    citizen.go("/operatori/")
    citizen.find("#field-token").send_keys(token)
    citizen.press(text("it", "operator.login"))


def show_day(citizen, driver, start: int) -> str:
    day = datetime.fromtimestamp(start, ROME).date().isoformat()
    driver.execute_script("document.getElementById('agenda-date').value = arguments[0]", day)
    citizen.press(text("it", "operator.show"))
    return day


def row_of(citizen, code: str):
    rows = [row for row in citizen.all("table.agenda tbody tr") if code in row.text]
    assert len(rows) == 1, f"the agenda has {len(rows)} rows for {code}"
    return rows[0]


def receipt_state(stack, code: str, someone: dict) -> str:
    answer = stack.post("/api/receipts", {"code": code, "codice_fiscale": someone["codice_fiscale"]}, json_api=True,
                        origin=None)
    assert answer.status == 200, answer.text
    return answer.json()["booking"]["state"]


def test_request_confirmed_from_the_agenda(approval_stack, driver):
    stack = approval_stack
    citizen = Citizen(driver, stack)
    someone = person(40)
    start = citizen.open_form(SERVICE)
    citizen.fill(someone)
    citizen.press_continue_on_form()
    citizen.expect_summary(someone)
    citizen.press(text("it", "summary.send"))
    # "Richiesta inviata": the code, no calendar file (the appointment is not confirmed yet).
    citizen.expect_h1(text("it", "approval.requestedTitle"), "request sent")
    assert text("it", "approval.requestedIntro") in citizen.body_text()
    code = citizen.find(".booking-code").text.strip()
    assert not citizen.all("a[download][href^='data:text/calendar']"), "a calendar file for a request"
    citizen.accessible("request sent")
    assert receipt_state(stack, code, someone) == "pending"
    # The public week shows the slot occupied, nothing more.
    week = poll_cell(stack, citizen.week_url(start), start, "booked")
    assert "attesa" not in week[1].lower()

    sign_in(citizen, stack, "approvals")
    day = show_day(citizen, driver, start)
    row = row_of(citizen, code)
    assert text("it", "operator.stateNames.pending") in row.text
    citizen.accessible("operator agenda with a pending request")
    saved = keep_as_served(stack, driver, "operator-agenda-pending", "/api/operator/agenda", {"lang": "it", "date": day})
    assert_valid_html([saved], "endpoint page: operator agenda with a pending request")
    confirm = [b for b in row.find_elements("css selector", "button") if b.text.strip() == text("it", "approval.confirm")]
    assert confirm, "no «Conferma» on the pending request"
    citizen.submit(confirm[0])
    assert text("it", "operator.saved") in citizen.body_text()
    assert text("it", "operator.stateNames.booked") in row_of(citizen, code).text

    # The citizen sees it confirmed, and is told.
    assert receipt_state(stack, code, someone) == "booked"
    if stack.sends_mail:
        subject = text("it", "mail.approved.subject").split(":")[0]
        deadline = time.monotonic() + 20
        while not any(code in body and subject in title for _, title, body in stack.mail()) \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        assert any(code in body and subject in title for _, title, body in stack.mail()), "no «confirmed» mail"
    poll_cell(stack, citizen.week_url(start), start, "booked")


def test_request_refused_with_a_reason_frees_the_slot(approval_stack, driver):
    stack = approval_stack
    someone = person(41)
    start, code = book_by_api(stack, SERVICE, someone, skip=4)
    assert receipt_state(stack, code, someone) == "pending"
    citizen = Citizen(driver, stack)
    sign_in(citizen, stack, "refusals")
    show_day(citizen, driver, start)
    row = row_of(citizen, code)
    reason = "Manca la delega <firmata>"
    row.find_element("css selector", f"#refusal-{code}").send_keys(reason)
    refuse = [b for b in row.find_elements("css selector", "button") if b.text.strip() == text("it", "approval.refuse")]
    assert refuse, "no «Rifiuta» on the pending request"
    citizen.submit(refuse[0])
    refused = row_of(citizen, code).text
    assert text("it", "operator.stateNames.cancelled_by_operator") in refused and reason in refused
    assert receipt_state(stack, code, someone) == "cancelled_by_operator"
    # The slot is free again for anyone.
    citizen.service_id = SERVICE
    poll_cell(stack, citizen.week_url(start), start, "free")
