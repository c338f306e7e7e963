"""Citizens' accounts (register, the password by mail, sign in, "Le mie prenotazioni", the receipt, cancelling)
and the operators' agenda, in the browser through nginx."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import datetime

import pytest

from browser import ROME, Citizen, password_by_mail, text
from checks import assert_accessible, assert_valid_html
from people import person
from stack import ARTIFACTS, REPO, SPORTELLO
from test_1_nginx import free_slot_from_output

pytestmark = pytest.mark.skipif(not (REPO / "site-templates/account.html").exists(),
                                reason="this version has no accounts or operators")


def book_by_api(stack, service, someone, skip):
    start = free_slot_from_output(stack, service, skip=skip)
    held = stack.post("/api/holds", {"service": service, "slot": start}, json_api=True, origin=None)
    assert held.status == 201, held.text
    booked = stack.post("/api/bookings", {"hold": held.json()["hold"]["token"], **someone}, json_api=True, origin=None)
    assert booked.status == 201, booked.text
    return start, booked.json()["booking"]["code"]


def browser_cookies(driver) -> str:
    """Every cookie the browser holds for the site, whatever its path (the page a form answered is shown at
    /api/page, where the operator's cookie, path /api/operator, is not visible to `get_cookies`)."""
    cookies = driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


def keep_as_served(stack, driver, name, path, fields, status=200):
    """The same POST again with the browser's cookies (a read: the list, a receipt, the agenda), to keep the
    bytes for the Nu checker."""
    cookies = browser_cookies(driver)
    response = stack.post(path, fields, headers={"Cookie": cookies})
    assert response.status == status, f"{name}: {response.status}"
    saved = ARTIFACTS / "endpoint-pages" / f"{name}.html"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(response.body)
    return saved


def test_static_sign_in_pages_are_accessible(main_stack, driver):
    for path, lang in [("/accesso/", "it"), ("/en/accesso/", "en"), ("/operatori/", "it"), ("/en/operatori/", "en")]:
        driver.get(main_stack.url(path))
        assert_accessible(driver, f"{path.strip('/').split('/')[-1]} page ({lang})")


def test_citizen_account(main_stack, driver):
    citizen = Citizen(driver, main_stack)
    someone = person(30)
    citizen.go("/accesso/")
    citizen.expect_h1(text("it", "account.title"), "account page")
    for name in ["nome", "cognome", "codice_fiscale", "email", "cellulare"]:
        citizen.find(f"#reg-{name.replace('codice_fiscale', 'cf')}").send_keys(someone[name])
    citizen.press(text("it", "account.register"))
    citizen.accessible("account registered")

    # The password arrives by mail (at the sendmail stand-in).
    password = password_by_mail(main_stack, someone)

    citizen.go("/accesso/")
    citizen.find("#login-cf").send_keys(someone["codice_fiscale"])
    citizen.find("#login-password").send_keys(password)
    citizen.press(text("it", "account.login"))
    citizen.expect_h1(text("it", "myBookings.title"), "after signing in")
    assert text("it", "myBookings.none") in citizen.body_text()
    citizen.accessible("my bookings, none")

    _, code = book_by_api(main_stack, "tari", someone, skip=8)
    citizen.go("/accesso/")
    citizen.press(text("it", "account.myBookings"))
    citizen.expect_h1(text("it", "myBookings.title"), "my bookings")
    assert code in citizen.body_text()
    citizen.accessible("my bookings")
    saved = [keep_as_served(main_stack, driver, "my-bookings", "/api/my-bookings", {"lang": "it"}),
             keep_as_served(main_stack, driver, "receipt", "/api/receipts", {"lang": "it", "code": code})]
    citizen.press(text("it", "receipt.show"))
    citizen.expect_h1(f'{text("it", "receipt.title")} {code}', "receipt")
    citizen.accessible("receipt")

    citizen.go("/accesso/")
    citizen.press(text("it", "account.myBookings"))
    citizen.press(text("it", "myBookings.cancel"))
    citizen.expect_h1(text("it", "cancelConfirm.title"), "cancel confirmation")
    citizen.press(text("it", "cancelConfirm.submit"))
    citizen.accessible("my bookings, after cancelling")
    citizen.go("/accesso/")
    citizen.press(text("it", "account.myBookings"))
    assert not [b for b in citizen.all("main button") if b.text == text("it", "myBookings.cancel")], "still cancellable"
    citizen.press(text("it", "account.logout"))
    assert_valid_html(saved, "endpoint pages: my bookings, receipt")


def test_operator_agenda(main_stack, driver):
    added = subprocess.run([str(SPORTELLO), "operator", "add", "e2e", "--scope", "*", "--config", str(main_stack.config),
                            "--database", str(main_stack.database)], capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = re.search(r"\bop\d+-\S+", added.stdout).group(0)
    someone = person(31)
    start, code = book_by_api(main_stack, "certificati", someone, skip=10)
    try:
        citizen = Citizen(driver, main_stack)
        citizen.go("/operatori/")
        citizen.expect_h1(text("it", "operator.loginTitle"), "operators' sign-in")
        citizen.find("#field-token").send_keys(token)
        citizen.press(text("it", "operator.login"))
        assert citizen.h1().startswith(text("it", "operator.agendaTitle").split("{")[0]), citizen.h1()
        citizen.accessible("operator agenda")
        day = datetime.fromtimestamp(start, ROME).date().isoformat()
        driver.execute_script("document.getElementById('agenda-date').value = arguments[0]", day)
        citizen.press(text("it", "operator.show"))
        assert code in citizen.body_text() and someone["codice_fiscale"] in citizen.body_text()
        citizen.accessible("operator agenda with bookings")
        saved = keep_as_served(main_stack, driver, "operator-agenda", "/api/operator/agenda", {"lang": "it", "date": day})
        assert code in saved.read_text()
        assert_valid_html([saved], "endpoint page: operator agenda")
        # The browser holds a session id, never the token; logout ends that session on the server.
        cookies = browser_cookies(driver)
        assert "sportello_operator" in cookies, cookies
        assert token.split("-", 1)[1] not in cookies, "the operator's token is stored in the browser"
        citizen.press(text("it", "operator.logout"))
        replayed = main_stack.post("/api/operator/agenda", {"lang": "it", "date": day}, headers={"Cookie": cookies})
        assert replayed.status == 401, f"the session still works after logout: {replayed.status}"
    finally:
        main_stack.post("/api/cancellations", {"code": code, "codice_fiscale": someone["codice_fiscale"]}, json_api=True,
                        origin=None)
