"""Back and forward at every step (issue 17): the browser's history holds only pages it can fetch again (every
form is answered 303 to GET /api/page, redirect-after-POST), so history.back()/forward() never show
"Confirm Form Resubmission", ERR_CACHE_MISS or a chrome-error page; with and without JavaScript; no personal
data under output/. Also the cancel confirmation step and the page gone after signing out."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime

import pytest

from browser import ROME, Citizen, chrome, password_by_mail, text
from people import person
from stack import REPO, SPORTELLO, Stack
from test_6_accounts import book_by_api

pytestmark = pytest.mark.skipif(not (REPO / "site-templates/cancel-confirm.html").exists(),
                                reason="this version has no redirect-after-POST")

BROKEN = ["ERR_CACHE_MISS", "Confirm Form Resubmission", "Conferma reinvio modulo", "ERR_"]


def expect_page(citizen: Citizen, heading: str, where: str) -> None:
    """A real page of the site: no browser error page, and the heading the step shows."""
    driver = citizen.driver
    url = driver.current_url
    assert not url.startswith("chrome-error://"), f"{where}: a browser error page ({url})"
    source = driver.page_source
    for words in BROKEN:
        assert words not in source, f"{where}: «{words}» on {url}"
    assert citizen.h1() == heading, f"{where}: the heading is «{citizen.h1()}», expected «{heading}» ({url})"
    # The icon: every page links one that loads (a 404 for it was a console error on every page).
    for entry in driver.get_log("browser"):
        assert "favicon" not in entry["message"], f"{where}: console error {entry['message']}"


def back_and_forth(citizen: Citizen, previous: str, current: str, where: str) -> None:
    """history.back() to the previous step and forward() again, each landing on a real page."""
    citizen.driver.back()
    expect_page(citizen, previous, f"{where}, back")
    citizen.driver.forward()
    expect_page(citizen, current, f"{where}, forward")


def no_personal_data_in_output(stack, someone: dict) -> None:
    typed = [someone["codice_fiscale"], someone["email"], someone["cognome"]]
    for path in stack.output.rglob("*"):
        if path.is_file() and path.suffix in {".html", ".json", ".ics", ".txt"}:
            content = path.read_text(errors="ignore")
            for value in typed:
                assert value not in content, f"{value} is in {path}"


def walk_citizen(stack, citizen: Citizen, someone: dict) -> None:
    t = citizen.t
    # An anonymous visitor: the session's browser may still be signed in from an earlier module, and a signed-in
    # citizen's form locks their codice fiscale.
    citizen.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    citizen.open_catalogue()
    catalogue = t("catalogue.title")
    service_id = "certificati"
    citizen.open_service(service_id)
    service = citizen.service_name(service_id)
    back_and_forth(citizen, catalogue, service, "service page")
    citizen.open_week()
    back_and_forth(citizen, service, service, "week page")
    citizen.find_free_week()
    start = citizen.choose_slot()
    citizen.press_continue_on_week()
    citizen.expect_form(start)
    assert "/api/page?p=" in citizen.driver.current_url, citizen.driver.current_url
    back_and_forth(citizen, service, service, "form")

    # A wrong check character: the form again, with the error, and Back/Forward around it.
    wrong = dict(someone, codice_fiscale=someone["codice_fiscale"][:15]
                 + ("A" if someone["codice_fiscale"][15] != "A" else "B"))
    citizen.fill(wrong)
    citizen.press_continue_on_form()
    assert citizen.all(".error-summary"), "no error summary"
    back_and_forth(citizen, service, service, "form with errors")
    assert citizen.all(".error-summary"), "Forward lost the errors"
    url = citizen.driver.current_url
    assert someone["cognome"] not in url and someone["email"] not in url, f"personal data in the address {url}"

    citizen.fill(someone)
    citizen.press_continue_on_form()
    citizen.expect_summary(someone)
    back_and_forth(citizen, service, t("summary.title"), "summary")
    code = citizen.confirm()
    # "Stampa" only where a script can print; without JavaScript the text points to the browser's command.
    printing = citizen.all("button[data-print]")
    assert printing and printing[0].is_displayed() == citizen.javascript, "the print button is wrong"
    back_and_forth(citizen, t("summary.title"), t("confirmed.title"), "confirmation")
    # Reload too: the confirmation again, no second booking.
    citizen.driver.refresh()
    expect_page(citizen, t("confirmed.title"), "confirmation, reloaded")
    assert citizen.find(".booking-code").text.strip() == code

    # The receipt, by code and codice fiscale.
    citizen.go(f"{citizen.prefix}/annulla/")
    citizen.find("#receipt-code").send_keys(code)
    citizen.find("#receipt-cf").send_keys(someone["codice_fiscale"])
    citizen.press(t("receipt.submit"))
    receipt = f'{t("receipt.title")} {code}'
    expect_page(citizen, receipt, "receipt")
    back_and_forth(citizen, t("cancelPage.title"), receipt, "receipt")

    # Cancelling: what will be cancelled first, then cancelled; Back and Forward around both.
    citizen.go(f"{citizen.prefix}/annulla/")
    citizen.find("#field-code").send_keys(code)
    citizen.find("#field-cf").send_keys(someone["codice_fiscale"])
    citizen.press(t("cancelPage.submit"))
    expect_page(citizen, t("cancelConfirm.title"), "cancel confirmation")
    assert code in citizen.find("dl.summary").text
    back_and_forth(citizen, t("cancelPage.title"), t("cancelConfirm.title"), "cancel confirmation")
    assert stack.post("/api/receipts", {"code": code, "codice_fiscale": someone["codice_fiscale"]},
                      json_api=True, origin=None).json()["booking"]["state"] == "booked", "cancelled before confirming"
    citizen.press(t("cancelConfirm.submit"))
    expect_page(citizen, t("cancelled.title"), "cancelled")
    back_and_forth(citizen, t("cancelConfirm.title"), t("cancelled.title"), "cancelled")
    no_personal_data_in_output(stack, someone)


def test_back_and_forward_at_every_citizen_step(main_stack, driver):
    driver.get_log("browser")
    walk_citizen(main_stack, Citizen(driver, main_stack), person(40))


def test_back_and_forward_without_javascript(main_stack):
    browser = chrome(javascript=False)
    try:
        walk_citizen(main_stack, Citizen(browser, main_stack, javascript=False), person(41))
    finally:
        browser.quit()


def test_cancelling_asks_first_and_going_back_cancels_nothing(main_stack, driver):
    someone = person(42)
    _, code = book_by_api(main_stack, "tari", someone, skip=12)
    citizen = Citizen(driver, main_stack)
    citizen.go("/annulla/")
    citizen.find("#field-code").send_keys(code)
    citizen.find("#field-cf").send_keys(someone["codice_fiscale"])
    citizen.press(text("it", "cancelPage.submit"))
    expect_page(citizen, text("it", "cancelConfirm.title"), "cancel confirmation")
    citizen.accessible("cancel confirmation")
    citizen.press(text("it", "cancelConfirm.back"))
    expect_page(citizen, text("it", "cancelPage.title"), "back without cancelling")
    state = main_stack.post("/api/receipts", {"code": code, "codice_fiscale": someone["codice_fiscale"]},
                            json_api=True, origin=None).json()["booking"]["state"]
    assert state == "booked", f"«Torna indietro» cancelled the booking ({state})"
    main_stack.post("/api/cancellations", {"code": code, "codice_fiscale": someone["codice_fiscale"]}, json_api=True,
                    origin=None)


def test_back_and_forward_for_operators(main_stack, driver):
    added = subprocess.run([str(SPORTELLO), "operator", "add", "e2e-history", "--scope", "*", "--config",
                            str(main_stack.config), "--database", str(main_stack.database)],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = re.search(r"\bop\d+-\S+", added.stdout).group(0)
    someone = person(43)
    start, code = book_by_api(main_stack, "certificati", someone, skip=14)
    try:
        citizen = Citizen(driver, main_stack)
        citizen.go("/operatori/")
        login = text("it", "operator.loginTitle")
        expect_page(citizen, login, "operators' sign-in")
        citizen.find("#field-token").send_keys(token)
        citizen.press(text("it", "operator.login"))
        agenda = citizen.h1()
        assert agenda.startswith(text("it", "operator.agendaTitle").split("{")[0]), agenda
        back_and_forth(citizen, login, agenda, "agenda")
        day = datetime.fromtimestamp(start, ROME).date().isoformat()
        driver.execute_script("document.getElementById('agenda-date').value = arguments[0]", day)
        citizen.press(text("it", "operator.show"))
        day_agenda = citizen.h1()
        assert code in citizen.body_text()
        back_and_forth(citizen, agenda, day_agenda, "agenda of the day")
        citizen.press(text("it", "operator.logout"))
        expect_page(citizen, login, "after logout")
        # Back after signing out: the agenda is gone, a clear page says so (no browser error, no bookings).
        driver.back()
        expect_page(citizen, text("it", "history.gone.title"), "back after logout")
        assert code not in citizen.body_text()
        no_personal_data_in_output(main_stack, someone)
    finally:
        main_stack.post("/api/cancellations", {"code": code, "codice_fiscale": someone["codice_fiscale"]},
                        json_api=True, origin=None)


def test_the_icon_has_an_address_that_answers(main_stack):
    icon = main_stack.get("/favicon.ico")
    assert icon.status == 301 and icon.header("Location").endswith("/assets/favicon.svg"), icon.status
    assert main_stack.get("/assets/favicon.svg").status == 200


@pytest.fixture(scope="module")
def accounts_stack():
    stack = Stack("accounts-required")
    stack.configuration["booking"]["requireAccount"] = True
    stack.config.write_text(json.dumps(stack.configuration, ensure_ascii=False, indent=1))
    stack.start()
    yield stack
    stack.stop()


def test_accounts_required_brings_the_citizen_back_to_the_chosen_slot(accounts_stack, driver):
    someone = person(44)
    registered = accounts_stack.post("/api/accounts", {k: someone[k] for k in
                                                       ["nome", "cognome", "codice_fiscale", "email", "cellulare"]})
    assert registered.status == 202, registered.status
    password = password_by_mail(accounts_stack, someone)
    citizen = Citizen(driver, accounts_stack)
    citizen.open_catalogue()
    driver.delete_all_cookies()   # the browser is shared with the other stacks on this host
    citizen.open_service("certificati")
    citizen.open_week()
    citizen.find_free_week()
    start = citizen.choose_slot()
    citizen.press_continue_on_week()
    expect_page(citizen, text("it", "errors.sign_in_required.title"), "sign-in required")
    citizen.press(text("it", "account.title"))
    citizen.find("#login-cf").send_keys(someone["codice_fiscale"])
    citizen.find("#login-password").send_keys(password)
    citizen.press(text("it", "account.login"))
    # Straight to the form of the slot chosen before signing in, held for the citizen.
    citizen.expect_form(start)
    assert someone["codice_fiscale"] in citizen.body_text()
    back_and_forth(citizen, text("it", "account.title"), citizen.service_name("certificati"), "form after sign-in")
    # "Le mie prenotazioni" (a form too): Back and Forward around it, then signing out closes the way back.
    citizen.go("/accesso/")
    citizen.press(text("it", "account.myBookings"))
    expect_page(citizen, text("it", "myBookings.title"), "my bookings")
    back_and_forth(citizen, text("it", "account.title"), text("it", "myBookings.title"), "my bookings")
    citizen.press(text("it", "account.logout"))
    expect_page(citizen, text("it", "account.title"), "after signing out")
    driver.back()
    expect_page(citizen, text("it", "history.gone.title"), "back after signing out")
    assert someone["codice_fiscale"] not in citizen.body_text()
    no_personal_data_in_output(accounts_stack, someone)
