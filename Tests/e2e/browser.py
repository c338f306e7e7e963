"""Headless Chromium driven through Selenium, and a citizen who books with it. Every step asserts what a person
sees on the page (headings, the current step, texts, the state of a slot), in the page's language."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from checks import REPORT, assert_accessible
from stack import ARTIFACTS, REPO, Stack

ROME = ZoneInfo("Europe/Rome")
CODE = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")
SCREENSHOTS = REPO / ".build/e2e-screenshots"
DESKTOP = (1366, 900)
MOBILE = (390, 844)


def chrome(javascript: bool = True, lang: str = "it-IT") -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                     "--disable-features=Translate,MediaRouter", f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                     f"--lang={lang}"]:
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})   # the console: script errors, CSP refusals
    prefs = {"intl.accept_languages": lang}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      log_output=str(ARTIFACTS / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


_TEXTS: dict[str, dict] = {}


def text(lang: str, key: str, **values) -> str:
    if lang not in _TEXTS:
        _TEXTS[lang] = json.loads((REPO / f"site-templates/i18n/{lang}.json").read_text())
    node = _TEXTS[lang]
    for part in key.split("."):
        node = node[part]
    for name, value in values.items():
        node = node.replace("{" + name + "}", str(value))
    return node


def password_by_mail(stack, someone: dict) -> str:
    """The password a registration mailed to `someone` (read at the stack's sendmail stand-in), within 20 s."""
    label = text("it", "mail.credentials.password")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for to, _, body in stack.mail():
            match = re.search(re.escape(label) + r":\s*(\S+)", body)
            if someone["email"] in to and match:
                return match.group(1)
        time.sleep(0.5)
    raise AssertionError(f"no credentials mail for {someone['email']}")


def slot_time(start: int) -> datetime:
    return datetime.fromtimestamp(start, ROME)


def screenshot(driver, name: str) -> None:
    """The page at desktop and mobile width (full height, at most three screens), under .build/e2e-screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("if (document.activeElement) { document.activeElement.blur(); }")
    for label, (width, height) in [("desktop", DESKTOP), ("mobile", MOBILE)]:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": label == "mobile"})
        content = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        full = min(int(content["height"]), 3 * height)
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": full, "scale": 1}})
        path = SCREENSHOTS / f"{label}-{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        REPORT.screenshots.append(path)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def cell_in(source: str, start: int, where: str = "the week page") -> tuple[str, str]:
    """(state, visible text) of a slot's cell on a week page, found in its day's section by its time."""
    local = slot_time(start)
    day = re.search(r'<section class="day[^"]*" id="d-%s">(.*?)</section>' % local.strftime("%Y-%m-%d"), source, re.S)
    assert day, f"no day {local:%Y-%m-%d} on {where}"
    cells = [c for c in re.findall(r'<li class="([^"]*)">(.*?)</li>', day.group(1), re.S)
             if f"<b>{local:%H:%M}</b>" in c[1]]
    assert len(cells) == 1, f"day {local:%Y-%m-%d} lists {local:%H:%M} {len(cells)} times on {where}"
    state, inner = cells[0]
    visible = re.sub(r'<span class="(?:visually-hidden|vh)">.*?</span>', "", inner)
    return state, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", visible)).split())


def poll_cell(stack: Stack, path: str, start: int, state: str, timeout: float = 10) -> tuple[str, str]:
    """Fetches the published week page (as any client would, through nginx) until the slot is in `state`."""
    deadline = time.monotonic() + timeout
    while True:
        seen = cell_in(stack.get(path).text, start, path)
        if seen[0] == state or time.monotonic() > deadline:
            assert seen[0] == state, f"after {timeout:.0f} s the slot shows {seen} on {path}, expected {state}"
            return seen
        time.sleep(0.3)


class Citizen:
    """A person using one browser on one stack, in one language."""

    def __init__(self, driver, stack: Stack, lang: str = "it", check_accessibility: bool = True, javascript: bool = True):
        self.driver = driver
        self.javascript = javascript
        self.stack = stack
        self.lang = lang
        self.check_accessibility = check_accessibility
        self.prefix = "" if lang == stack.configuration["comune"]["languages"][0] else f"/{lang}"
        self.service_id: str | None = None

    # MARK: Reading the page

    def t(self, key: str, **values) -> str:
        return text(self.lang, key, **values)

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def h1(self) -> str:
        return self.find("h1").text.strip()

    def body_text(self) -> str:
        return self.find("body").text

    def current_step(self) -> str:
        return self.find(".steps [aria-current=step]").text

    def expect_h1(self, expected: str, where: str) -> None:
        actual = self.h1()
        assert actual == expected, f"{where}: the heading is «{actual}», expected «{expected}» ({self.driver.current_url})"

    def expect_step(self, key: str) -> None:
        step = self.current_step()
        assert self.t(f"steps.{key}") in step, f"the current step is «{step}», expected «{self.t(f'steps.{key}')}»"

    def accessible(self, page_type: str) -> None:
        if self.check_accessibility:
            assert_accessible(self.driver, f"{page_type} ({self.lang})")

    def service_name(self, service_id: str) -> str:
        def walk(nodes):
            for node in nodes:
                if node["id"] == service_id:
                    return node
                found = walk(node.get("children", []))
                if found:
                    return found
        node = walk(self.stack.configuration["services"])
        return node.get("translations", {}).get(self.lang, {}).get("name") or node["name"]

    # MARK: Moving

    def go(self, path: str) -> None:
        self.driver.get(self.stack.url(path))

    def submit(self, button) -> None:
        """Presses a button (or follows a link) and waits for the next page."""
        page = self.find("html")
        label = button.text
        button.click()
        # While the next page loads, the driver may briefly fail to reach the document: keep asking.
        wait = WebDriverWait(self.driver, 30, poll_frequency=0.1, ignored_exceptions=(WebDriverException,))
        try:
            wait.until(EC.staleness_of(page))
            wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        except TimeoutException:
            raise AssertionError(f"pressing «{label}» did not load a page ({self.driver.current_url})")

    def press(self, label: str, scope: str = "main") -> None:
        for element in self.all(f"{scope} button, {scope} a"):
            if element.text.strip() == label:
                self.submit(element)
                return
        raise AssertionError(f"no «{label}» button or link on {self.driver.current_url}")

    # MARK: The booking flow, step by step

    def open_catalogue(self) -> None:
        self.go(f"{self.prefix}/")
        self.expect_h1(self.t("catalogue.title"), "catalogue")

    def open_service(self, service_id: str) -> None:
        name = self.service_name(service_id)
        links = [a for a in self.all("a.entry-name") if a.text.strip() == name]
        assert links, f"the catalogue has no link «{name}»"
        self.submit(links[0])
        self.expect_h1(name, "service page")
        self.service_id = service_id
        assert self.all("[data-element=service-booking-access]"), "the service page has no booking button"

    def open_week(self) -> None:
        self.submit(self.find("[data-element=service-booking-access]"))
        self.expect_week()

    def expect_week(self) -> None:
        assert self.service_id is None or self.h1() == self.service_name(self.service_id), f"not the week page: {self.h1()}"
        label = self.find("#week-label").text
        assert label.startswith(self.t("week.range").split("{")[0].strip()), f"week heading «{label}»"
        self.expect_step("when")

    def free_inputs(self):
        return [i for i in self.all("form.booking-form input[name=slot]") if i.is_enabled()]

    def find_free_week(self, max_weeks: int = 6) -> None:
        for _ in range(max_weeks):
            if self.free_inputs():
                return
            following = self.all("a[rel=next]")
            assert following, "no free slot and no next week"
            self.submit(following[0])
            self.expect_week()
        raise AssertionError(f"no free slot in {max_weeks} weeks")

    def choose_slot(self, start: int | None = None, index: int = 0) -> int:
        inputs = self.free_inputs()
        if start is not None:
            inputs = [i for i in inputs if int(i.get_attribute("value")) == start]
        assert len(inputs) > index, f"slot {start} is not free on {self.driver.current_url}"
        chosen = inputs[index]
        label = chosen.find_element(By.XPATH, "./ancestor::label")
        assert self.t("state.free") in label.get_attribute("textContent"), "a free slot's label does not say so"
        label.click()
        assert chosen.is_selected(), "clicking the slot's label did not select it"
        return int(chosen.get_attribute("value"))

    def press_continue_on_week(self) -> None:
        buttons = [b for b in self.all("form.booking-form button[type=submit]") if b.text.strip() == self.t("week.continue")]
        if not buttons:
            raise AssertionError(f"the week page has no «{self.t('week.continue')}» button ({self.driver.current_url})")
        self.submit(buttons[0])

    def expect_form(self, start: int) -> None:
        self.expect_h1(self.service_name(self.service_id), "form page")
        assert self.driver.title.startswith(self.t("hold.title")), f"form page title «{self.driver.title}»"
        self.expect_step("applicant")
        hold_text = self.find(".hold-timer").text
        assert self.when_text(start) in hold_text, f"the form does not say when: «{hold_text}»"
        expires = self.t("hold.expires").split("{")[0].strip()
        assert expires in hold_text, f"the form does not say until when the place is kept: «{hold_text}»"

    def when_text(self, start: int) -> str:
        local = slot_time(start)
        return f"{local.day} {self.t(f'month.{local.month}')} {local.year}"

    def fill(self, person: dict) -> None:
        for name, value in person.items():
            if name == "note" and not self.all("#field-note"):
                continue
            field = self.find(f"#field-{name}")
            field.clear()
            field.send_keys(value)

    def press_continue_on_form(self) -> None:
        self.submit(self.find("form.person-form button[type=submit]"))

    def expect_summary(self, person: dict) -> None:
        self.expect_h1(self.t("summary.title"), "summary")
        self.expect_step("summary")
        summary = self.find("dl.summary").text
        for name in ["nome", "cognome", "codice_fiscale", "email"]:
            assert person[name].upper() in summary.upper(), f"the summary does not show {name} «{person[name]}»"

    def confirm(self) -> str:
        self.press(self.t("summary.send"))
        self.expect_h1(self.t("confirmed.title"), "confirmation")
        self.expect_step("confirmation")
        code = self.find(".booking-code").text.strip()
        assert CODE.match(code), f"booking code «{code}» is not 8 characters of 2-9 A-Z without I and O"
        return code

    def open_form(self, service_id: str) -> int:
        """Catalogue → service → week → the first free slot → the details form. Returns the slot's start."""
        self.open_catalogue()
        self.open_service(service_id)
        self.open_week()
        self.find_free_week()
        start = self.choose_slot()
        self.press_continue_on_week()
        self.expect_form(start)
        return start

    def book(self, service_id: str, person: dict, screenshots: bool = False, with_errors: bool = False) -> tuple[int, str]:
        """Catalogue → service → week → hold → form → riepilogo → confirm. Returns (slot start, booking code)."""
        self.open_catalogue()
        self.accessible("catalogue")
        if screenshots:
            screenshot(self.driver, "catalogue")
        self.open_service(service_id)
        self.accessible("service page")
        if screenshots:
            screenshot(self.driver, "service")
        self.open_week()
        self.find_free_week()
        start = self.choose_slot()
        self.accessible("week page, slot selected")
        if screenshots:
            screenshot(self.driver, "week")
        self.press_continue_on_week()
        self.expect_form(start)
        self.accessible("form page")
        if screenshots:
            self.fill(person)
            screenshot(self.driver, "form")
        if with_errors:
            wrong = dict(person, codice_fiscale=person["codice_fiscale"][:15] + ("A" if person["codice_fiscale"][15] != "A" else "B"),
                         email="not-an-email")
            self.fill(wrong)
            self.press_continue_on_form()
            summary = self.find(".error-summary")
            assert self.t("form.errorSummary") in summary.text, "no error summary"
            assert self.t("fieldErrors.cf.check") in self.body_text(), "the wrong check character is not explained"
            assert self.t("fieldErrors.email.invalid") in self.body_text(), "the bad email is not explained"
            assert self.find("#field-codice_fiscale").get_attribute("aria-invalid") == "true"
            if self.javascript:
                focused = self.driver.switch_to.active_element
                assert focused.get_attribute("class") == "error-summary", "the focus is not on the list of errors"
            assert self.find("#field-nome").get_attribute("value") == person["nome"], "the form lost what was typed"
            self.accessible("form with errors")
        self.fill(person)
        self.press_continue_on_form()
        self.expect_summary(person)
        self.accessible("summary")
        if screenshots:
            screenshot(self.driver, "summary")
        code = self.confirm()
        assert self.when_text(start) in self.find("dl.summary").text, "the confirmation does not say the day"
        self.accessible("confirmation")
        if screenshots:
            screenshot(self.driver, "confirmation")
        return start, code

    def cancel(self, code: str, codice_fiscale: str, via_footer: bool = True, active: bool = True) -> None:
        """`/annulla/` with code and codice fiscale; for an `active` booking, then "Conferma annullamento" on the
        page that shows what will be cancelled (one no longer active, or not found, is answered at once)."""
        if via_footer:
            self.press(self.t("footer.cancel"), scope="footer")
        else:
            self.go(f"{self.prefix}/annulla/")
        self.expect_h1(self.t("cancelPage.title"), "cancel page")
        self.accessible("cancel page")
        self.find("#field-code").send_keys(code)
        self.find("#field-cf").send_keys(codice_fiscale)
        self.press(self.t("cancelPage.submit"))
        if not active:
            return
        # What will be cancelled, and only "Conferma annullamento" cancels.
        self.expect_h1(self.t("cancelConfirm.title"), "cancel confirmation")
        assert code in self.find("dl.summary").text, "the cancel confirmation does not name the booking"
        self.accessible("cancel confirmation")
        self.press(self.t("cancelConfirm.submit"))

    # MARK: The week page as published

    def week_url(self, start: int) -> str:
        local = slot_time(start)
        year, week, _ = local.isocalendar()
        return self.stack.week_path(self.service_id, f"{year}-W{week:02d}", self.prefix)

    def cell(self, start: int) -> tuple[str, str]:
        return cell_in(self.driver.page_source, start, self.driver.current_url)

    def wait_for_cell(self, start: int, state: str, text: str | None = None, timeout: float = 10) -> tuple[str, str]:
        """Reloads the week page until the slot shows `state` (the endpoint republishes in the background)."""
        deadline = time.monotonic() + timeout
        url = self.stack.url(self.week_url(start))
        while True:
            self.driver.get(url)
            seen = self.cell(start)
            if seen[0] == state and (text is None or text in seen[1]):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"after {timeout:.0f} s the slot {slot_time(start):%a %d %H:%M} shows {seen}, expected "
                                     f"{state} «{text or ''}» on {url}")
            time.sleep(0.5)
