"""The office's week and day grid (the seven states), its statistics page with the inline SVG chart, and a signed-in
citizen's own bookings on a week with "Annulla", in the browser through nginx: axe and the Nu checker on each page,
screenshots of the operator week and the statistics."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import datetime

import pytest
from selenium.webdriver.common.by import By

from browser import ROME, Citizen, password_by_mail, screenshot, text
from checks import assert_valid_html
from people import person
from stack import ARTIFACTS, REPO, SPORTELLO
from test_6_accounts import book_by_api

pytestmark = pytest.mark.skipif(not (REPO / "site-templates/operator-grid.html").exists(),
                                reason="this version has no operator grid")


def served(stack, driver, name: str, path: str):
    """The same GET again with the browser's cookies, to keep the bytes for the Nu checker."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
    response = stack.get(path, headers={"Cookie": cookies})
    assert response.status == 200, f"{name}: {response.status}"
    assert response.header("Cache-Control") == "no-store", f"{name}: {response.header('Cache-Control')}"
    saved = ARTIFACTS / "endpoint-pages" / f"{name}.html"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(response.body)
    return saved


def test_operator_week_day_and_statistics(main_stack, driver):
    added = subprocess.run([str(SPORTELLO), "operator", "add", "e2e-clerk", "--scope", "*", "--config",
                            str(main_stack.config), "--database", str(main_stack.database)],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = re.search(r"\bop\d+-\S+", added.stdout).group(0)
    people = [person(80 + n) for n in range(3)]
    booked = [book_by_api(main_stack, "certificati", someone, skip=20 + n) for n, someone in enumerate(people)]
    # The last one cancelled by its citizen: the grid shows it as cancelled, the statistics count it.
    cancelled = main_stack.post("/api/cancellations", {"code": booked[2][1], "codice_fiscale": people[2]["codice_fiscale"]},
                                json_api=True, origin=None)
    assert cancelled.status == 200, cancelled.text
    try:
        clerk = Citizen(driver, main_stack)
        clerk.go("/operatori/")
        clerk.find("#field-token").send_keys(token)
        clerk.press(text("it", "operator.login"))
        day = datetime.fromtimestamp(booked[0][0], ROME).date().isoformat()

        week = f"/api/operator/grid?service=certificati&date={day}&view=week&lang=it"
        clerk.go(week)
        body = clerk.body_text()
        assert booked[0][1] in body and people[0]["cognome"] in body, body[:2000]
        assert text("it", "clerk.states.cancelled") in body and text("it", "clerk.states.free") in body
        assert len(clerk.all("table.operator-grid thead th")) == 8, "a time column and seven days"
        clerk.accessible("operator week grid")
        screenshot(driver, "operator-week")
        saved = [served(main_stack, driver, "operator-grid-week", week)]

        # Week → day by the link, Back to the week: GET pages, no resubmission prompt.
        clerk.press(text("it", "clerk.grid.showDay"))
        assert len(clerk.all("table.operator-grid thead th")) == 2, "a time column and one day"
        clerk.accessible("operator day grid")
        driver.back()
        assert len(clerk.all("table.operator-grid thead th")) == 8, "Back shows the week again"
        saved.append(served(main_stack, driver, "operator-grid-day", week.replace("view=week", "view=day")))

        statistics = f"/api/operator/statistics?lang=it&weeks=8&until={day}"
        clerk.go(statistics)
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.stats-chart[role='img']")
        assert charts, "no chart on the statistics page"
        assert driver.find_elements(By.CSS_SELECTOR, "table.stats-table"), "no table beside the chart"
        clerk.accessible("operator statistics")
        screenshot(driver, "operator-statistics")
        saved.append(served(main_stack, driver, "operator-statistics", statistics))
        assert_valid_html(saved, "endpoint pages: operator week and day grid, statistics")
        clerk.press(text("it", "operator.logout"))
    finally:
        for (_, code), someone in zip(booked[:2], people):
            main_stack.post("/api/cancellations", {"code": code, "codice_fiscale": someone["codice_fiscale"]},
                            json_api=True, origin=None)


def test_a_citizens_own_week_with_annulla(main_stack, driver):
    citizen = Citizen(driver, main_stack)
    someone = person(84)
    citizen.go("/accesso/")
    for name in ["nome", "cognome", "codice_fiscale", "email", "cellulare"]:
        citizen.find(f"#reg-{name.replace('codice_fiscale', 'cf')}").send_keys(someone[name])
    citizen.press(text("it", "account.register"))
    password = password_by_mail(main_stack, someone)
    _, code = book_by_api(main_stack, "tari", someone, skip=12)
    citizen.go("/accesso/")
    citizen.find("#login-cf").send_keys(someone["codice_fiscale"])
    citizen.find("#login-password").send_keys(password)
    citizen.press(text("it", "account.login"))
    citizen.press(text("it", "clerk.mine.link"))
    citizen.expect_h1(text("it", "clerk.mine.title"), "my bookings on the week")
    mine = driver.find_elements(By.CSS_SELECTOR, "table.slots td.mine")
    assert len(mine) == 1 and code in mine[0].text and text("it", "clerk.mine.yours") in mine[0].text
    citizen.accessible("my bookings on the week")
    saved = [served(main_stack, driver, "my-bookings-week", "/api/my-bookings/week?lang=it")]
    assert_valid_html(saved, "endpoint page: my bookings on the week")
    citizen.press(text("it", "myBookings.cancel"))
    # Where cancelling asks to confirm first, the confirmation posts to the same route: press it too.
    for _ in range(2):
        again = driver.find_elements(By.CSS_SELECTOR, "main form[action$='/my-bookings/cancel'] button[type=submit]")
        if not again:
            break
        citizen.submit(again[0])
    citizen.go("/api/my-bookings/week?lang=it")
    assert text("it", "clerk.mine.none") in citizen.body_text()
    citizen.press(text("it", "clerk.mine.list"))
    citizen.expect_h1(text("it", "myBookings.title"), "back to the list")
