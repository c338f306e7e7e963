"""A comune with SPID/CIE (the identity proxy's buttons) and the verified contact on (`booking.verifyContact`),
in the browser through nginx: the "Entra con SPID/CIE" links on the sign-in page and on the hold's form, and a
booking without SPID that is confirmed only with the code sent by mail. No gateway runs: only the links the
pages give are checked."""

from __future__ import annotations

import json
import re
import time
import urllib.parse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from browser import Citizen, text
from checks import assert_valid_html
from people import person
from stack import ARTIFACTS, REPO, Stack
from test_1_nginx import free_slot_from_output

pytestmark = pytest.mark.skipif(not (REPO / "site-templates/partials/identity-buttons.html").exists(),
                                reason="this version has no SPID/CIE buttons")

SPID = "/auth/spid/login"
CIE = "https://gateway.example.it/cie?target={return}"


@pytest.fixture(scope="module")
def identity_stack():
    stack = Stack("identity")
    # The header names stay the defaults; the secret is only what the (absent) proxy would send.
    stack.configuration["identity"] = {"proxySecret": "e2e-proxy-secret-0123456789", "spidLoginURL": SPID,
                                       "cieLoginURL": CIE}
    stack.configuration["booking"]["verifyContact"] = True
    stack.config.write_text(json.dumps(stack.configuration, ensure_ascii=False, indent=1))
    stack.start()
    yield stack
    stack.stop()


def expected_links(stack, return_path: str) -> dict[str, str]:
    """The two hrefs for a way back: the path for the login on the site's host, the whole address otherwise."""
    def encoded(target):
        return urllib.parse.quote(target, safe="-._~")
    return {text("it", "identity.spid"): f"{SPID}?return={encoded(return_path)}",
            text("it", "identity.cie"): CIE.replace("{return}", encoded(stack.origin + return_path))}


def assert_identity_links(citizen: Citizen, stack, return_path: str, where: str) -> None:
    """Both links are there with their text and the way back, and Tab reaches each of them."""
    expected = expected_links(stack, return_path)
    links = {a.text.strip(): a.get_attribute("href") for a in citizen.all(".identity-login a")}
    for label, href in expected.items():
        assert label in links, f"{where}: no «{label}» link: {links}"
        assert links[label] == urllib.parse.urljoin(stack.origin + "/", href), f"{where}: «{label}» leads to {links[label]}"
    citizen.driver.execute_script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur();")
    reached = set()
    for _ in range(80):
        ActionChains(citizen.driver).send_keys(Keys.TAB).perform()
        focused = citizen.driver.switch_to.active_element
        if focused.tag_name == "a" and focused.text.strip() in expected:
            reached.add(focused.text.strip())
            if reached == set(expected):
                return
    raise AssertionError(f"{where}: Tab did not reach {set(expected) - reached}")


def wait_for_code(stack, email: str, seen: int = 0) -> str:
    """The 6-digit code of the newest verification mail to `email` (after the first `seen` such mails)."""
    subject = text("it", "mail.contactCode.subject").split("–")[0].strip()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        codes = [re.search(r"^\s+(\d{6})\s*$", body, re.M) for to, subj, body in stack.mail()
                 if email in to and subj.startswith(subject)]
        if len(codes) > seen and codes[-1]:
            return codes[-1].group(1)
        time.sleep(0.3)
    raise AssertionError(f"no verification code mailed to {email}: {stack.mail()}")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_spid_cie_links_on_sign_in_page_and_hold_form(identity_stack, second_driver):
    citizen = Citizen(second_driver, identity_stack)
    citizen.go("/accesso/")
    citizen.expect_h1(text("it", "account.title"), "account page")
    assert_identity_links(citizen, identity_stack, "/api/my-bookings?lang=it", "sign-in page")
    citizen.accessible("sign-in page with SPID/CIE")

    start = citizen.open_form("tari")
    hold = citizen.find("form.person-form input[name=hold]").get_attribute("value")
    assert re.fullmatch(r"[0-9a-f]{32,}", hold), hold
    assert_identity_links(citizen, identity_stack, f"/api/holds/resume?hold={hold}&lang=it", "hold's form")
    citizen.accessible("form page with SPID/CIE")
    citizen.press(text("it", "hold.release"))

    # The Nu checker on the bytes served: the published sign-in page and the form as the endpoint answers it.
    folder = ARTIFACTS / "endpoint-pages"
    folder.mkdir(parents=True, exist_ok=True)
    slot = free_slot_from_output(identity_stack, "certificati", skip=5)
    form = identity_stack.post("/api/holds", {"service": "certificati", "slot": slot})
    assert form.status == 200 and text("it", "identity.spid") in form.text, form.status
    (folder / "identity-form.html").write_bytes(form.body)
    assert_valid_html([identity_stack.output / "accesso/index.html", folder / "identity-form.html"],
                      "SPID/CIE: sign-in page, hold's form")


def test_booking_confirmed_with_the_mailed_code(identity_stack, second_driver):
    citizen = Citizen(second_driver, identity_stack)
    someone = person(40)
    start = citizen.open_form("certificati")
    citizen.fill(someone)
    citizen.press_continue_on_form()
    citizen.expect_summary(someone)
    notice = citizen.find(".verification .notice").text
    assert notice == text("it", "verification.sentEmail", contact=someone["email"]), notice
    assert citizen.find("#field-verification_code").is_displayed()
    citizen.accessible("summary asking for the code")
    code = wait_for_code(identity_stack, someone["email"])

    # A wrong code: the summary again, the error at the top (focused link to the field), the field marked.
    citizen.find("#field-verification_code").send_keys(wrong(code))
    citizen.press(text("it", "summary.send"))
    citizen.expect_h1(text("it", "summary.title"), "summary after a wrong code")
    summary = citizen.find(".error-summary")
    assert summary.get_attribute("role") == "alert"
    assert text("it", "verification.wrong", remaining=4) in summary.text, summary.text
    assert citizen.find("#field-verification_code").get_attribute("aria-invalid") == "true"
    assert not citizen.all(".booking-code"), "a wrong code confirmed the booking"
    citizen.accessible("summary with a wrong code")

    # The right one: confirmed.
    citizen.find("#field-verification_code").send_keys(code)
    booking = citizen.confirm()
    assert citizen.when_text(start) in citizen.find("dl.summary").text

    # The Nu checker on the summary as served: asking for the code, then after a wrong one.
    other = person(41)
    slot = free_slot_from_output(identity_stack, "tari", skip=6)
    form = identity_stack.post("/api/holds", {"service": "tari", "slot": slot})
    assert form.status == 200, form.text[:300]
    hold = re.search(r'name="hold" value="([0-9a-f]+)"', form.text).group(1)
    asking = identity_stack.post("/api/review", {"hold": hold, "lang": "it", **other})
    assert asking.status == 200 and 'id="field-verification_code"' in asking.text, asking.status
    mailed = wait_for_code(identity_stack, other["email"])
    refused = identity_stack.post("/api/bookings", {"hold": hold, "lang": "it", "verification_code": wrong(mailed), **other})
    assert 400 <= refused.status < 500 and 'class="error-summary"' in refused.text, refused.status
    folder = ARTIFACTS / "endpoint-pages"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary-code.html").write_bytes(asking.body)
    (folder / "summary-code-wrong.html").write_bytes(refused.body)
    assert_valid_html([folder / "summary-code.html", folder / "summary-code-wrong.html"],
                      "verified contact: summary with the code, after a wrong code")
    identity_stack.post("/api/holds/release", {"hold": hold})
    identity_stack.post("/api/cancellations", {"code": booking, "codice_fiscale": someone["codice_fiscale"]},
                        json_api=True, origin=None)
