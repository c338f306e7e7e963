"""The suite tests itself: on a copy of the templates broken on purpose (an image without alt text, form fields
without labels, a week page without its «Continua» button) the same checks must fail."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager

import pytest
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser import Citizen, text
from checks import REPORT, assert_accessible, assert_valid_html
from people import person
from stack import REPO, Stack


def break_templates(folder):
    shutil.copytree(REPO / "site-templates", folder)

    def edit(name, old, new):
        path = folder / name
        source = path.read_text()
        assert old in source, f"{name}: «{old}» not found, update the self-test"
        path.write_text(source.replace(old, new))

    edit("catalogue.html", "</ul>", '</ul>\n<p><img src="/assets/stemma.png"></p>')
    edit("hold.html", '<label for="field-{{name}}">{{label}}{{#required}} <span aria-hidden="true">*</span>{{/required}}</label>\n', "")
    edit("week.html", '<button type="submit" class="button button--primary">{{t.week.continue}}</button>\n', "")


@contextmanager
def expect_failure(match: str):
    """The check inside must fail with a message matching `match`; the summary lists what it said."""
    with pytest.raises(AssertionError, match=match) as failure:
        yield
    found = re.search(match, str(failure.value)).group(0)
    first = str(failure.value).splitlines()[0]
    REPORT.notes.append(f"self-test: failed as it must on a broken page: {first[:110]} [{found}]")


@pytest.fixture(scope="module")
def broken_stack(tmp_path_factory):
    templates = tmp_path_factory.mktemp("broken") / "site-templates"
    break_templates(templates)
    stack = Stack("broken", templates=templates).start()
    REPORT.selftest = True
    yield stack
    REPORT.selftest = False
    stack.stop()


def test_axe_fails_on_an_image_without_alt_text(broken_stack, driver):
    Citizen(driver, broken_stack).open_catalogue()
    with expect_failure(r"image-alt"):
        assert_accessible(driver, "broken catalogue")


def test_nu_checker_fails_on_an_image_without_alt_text(broken_stack):
    pages = sorted(broken_stack.output.rglob("*.html"))
    with expect_failure(r"“img” element must have an “alt” attribute"):
        assert_valid_html(pages, "broken output/", root=broken_stack.output)


def test_flow_fails_without_the_continue_button(broken_stack, driver):
    with expect_failure(text("it", "week.continue")):
        Citizen(driver, broken_stack, check_accessibility=False).book("certificati", person(20))


def test_axe_fails_on_form_fields_without_labels(broken_stack, driver):
    citizen = Citizen(driver, broken_stack, check_accessibility=False)
    citizen.open_catalogue()
    citizen.open_service("certificati")
    citizen.open_week()
    citizen.find_free_week()
    start = citizen.choose_slot()
    # The button is gone (see above): the harness submits the week's form itself to reach the form page.
    page = citizen.find("html")
    driver.execute_script("document.querySelector('form.booking-form').submit()")
    WebDriverWait(driver, 30).until(EC.staleness_of(page))
    citizen.expect_form(start)
    with expect_failure(r"\blabel\b"):
        assert_accessible(driver, "form without labels")
