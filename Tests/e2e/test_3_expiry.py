"""Time and failure: a hold that runs out (on a stack whose comune keeps holds for 1 minute, the shortest the
configuration allows), and the page nginx shows when the endpoint is down."""

from __future__ import annotations

import re
import time

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from browser import Citizen, poll_cell, text
from checks import assert_valid_html
from people import person
from stack import ARTIFACTS, Stack


@pytest.fixture(scope="module")
def short_stack():
    stack = Stack("short-hold", hold_minutes=1).start()
    yield stack
    stack.stop()


def test_expired_hold(short_stack, driver):
    citizen = Citizen(driver, short_stack)
    citizen.open_catalogue()
    citizen.open_service("certificati")
    citizen.open_week()
    citizen.find_free_week()
    other = int(citizen.free_inputs()[1].get_attribute("value"))
    start = citizen.choose_slot()
    citizen.press_continue_on_week()
    citizen.expect_form(start)
    held_at = time.monotonic()
    # A second hold, placed by a plain HTTP client, to keep the bytes of the "time is up" page for the Nu checker.
    form_page = short_stack.post("/api/holds", {"service": "certificati", "slot": str(other), "lang": "it"})
    assert form_page.status == 200, form_page.text[:500]
    token = re.search(r'name="hold" value="([0-9a-f]+)"', form_page.text).group(1)

    poll_cell(short_stack, citizen.week_url(start), start, "held")

    # The countdown reaches 0:00 and the page says the time is up, without reloading.
    expired = citizen.find("[data-expired-message]")
    WebDriverWait(driver, 90, poll_frequency=1).until(lambda d: expired.is_displayed())
    waited = time.monotonic() - held_at
    assert 50 <= waited <= 75, f"the expired message appeared after {waited:.0f} s for a 1-minute hold"
    assert citizen.find(".countdown").text == "0:00"
    assert expired.text == text("it", "hold.expired")
    citizen.accessible("form page, time up")

    # Sending the form now: the place is still free, so it is held again and the details go on to the summary.
    citizen.fill(person(5))
    citizen.press_continue_on_form()
    citizen.expect_summary(person(5))
    assert text("it", "holdRenewal.renewed").split("{")[0].strip() in citizen.body_text(), "no notice of the new hold"
    citizen.accessible("summary (hold placed again)")

    # Without anyone acting, the server frees the other run-out hold's slot on the week page (it checks every 15 s).
    poll_cell(short_stack, citizen.week_url(other), other, "free", timeout=40)

    # Someone else takes it: the late form gets the "taken" page, what was typed kept for the nearest free slots.
    taken = short_stack.post("/api/holds", {"service": "certificati", "slot": str(other), "lang": "it"})
    assert taken.status == 200, taken.status
    late = short_stack.post("/api/review", {"hold": token, "lang": "it", **person(6)})
    assert late.status == 410, late.status
    assert 'name="carry" value="1"' in late.text, "the nearest free slots do not keep the details"
    assert person(6)["email"] in late.text, "the details typed are not kept"
    saved = ARTIFACTS / "endpoint-pages/error-hold-expired-it.html"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(late.body)
    assert_valid_html([saved], "endpoint page: hold expired, place taken")


def test_endpoint_down_page(short_stack, driver):
    citizen = Citizen(driver, short_stack)
    citizen.service_id = "certificati"
    citizen.open_catalogue()
    citizen.open_service("certificati")
    citizen.open_week()
    citizen.find_free_week()
    citizen.choose_slot()
    short_stack.stop_endpoint()

    # The pages are still served; a booking step gets nginx's friendly page instead of "502 Bad Gateway".
    assert short_stack.get("/").status == 200
    citizen.press_continue_on_week()
    citizen.expect_h1("Prenotazioni momentaneamente sospese", "endpoint down")
    assert "Bookings are temporarily unavailable" in citizen.body_text()
    citizen.accessible("endpoint down page")

    response = short_stack.post("/api/holds", {"service": "certificati", "slot": "0"})
    assert response.status == 503
    assert response.header("Retry-After") == "60"
    assert response.all("Cache-Control") == ["no-store"]
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert "Prenotazioni momentaneamente sospese" in response.text
