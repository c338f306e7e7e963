"""Issue 17 points 6 and 7 on a phone (390×844): the week grid one day at a time with day tabs that work without
JavaScript, no sideways scrolling on the week, catalogue, service and office pages, offices that open and close
without JavaScript, breadcrumbs that link at every level; axe-core and the Nu checker on the new pages."""

from __future__ import annotations


from browser import MOBILE, SCREENSHOTS, Citizen, chrome, screenshot, text
from checks import assert_accessible, assert_valid_html
from selenium.webdriver.common.by import By

PHONE = {"width": MOBILE[0], "height": MOBILE[1], "deviceScaleFactor": 1, "mobile": True}
# carta-identita opens at 08:30 on weekdays and 09:00 on Saturday: a week with mixed start times.
MIXED = "carta-identita"


def on_phone(driver) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def off_phone(driver) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def fits(driver, what: str) -> None:
    """The page is no wider than the screen: nothing to scroll sideways."""
    width, inner = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == MOBILE[0], f"{what}: the viewport is {inner} px, not a phone's {MOBILE[0]}"
    assert width <= inner, f"{what} at {driver.current_url} scrolls sideways: {width} px on a {inner} px screen"


def shown_days(driver) -> list[str]:
    """The ids of the day sections a person sees (the others are clipped to a pixel)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('section.day'))"
        ".filter(s => s.getBoundingClientRect().width > 2 && s.getBoundingClientRect().height > 2).map(s => s.id)")


def mixed_week(stack) -> str:
    """Next week's page of the service with mixed start times (this week's slots may all be past)."""
    page = stack.week_files(MIXED)[1]
    return stack.week_path(MIXED, page.stem)


def check_day_tabs(driver, stack, javascript: bool) -> None:
    driver.get(stack.url(mixed_week(stack)))
    fits(driver, "week page")
    initial = driver.find_element(By.CSS_SELECTOR, "section.day--initial").get_attribute("id")
    assert shown_days(driver) == [initial], f"before choosing a day the phone shows {shown_days(driver)}"
    tabs = driver.find_elements(By.CSS_SELECTOR, ".day-tabs a")
    assert len(tabs) == 7 and all(tab.is_displayed() for tab in tabs), "seven day tabs, all on screen"
    if javascript:
        assert tabs[[t.get_attribute("href").split("#")[1] for t in tabs].index(initial)].get_attribute(
            "aria-current") == "true", "the tab of the day shown is not marked"
    # Saturday (09:00 first) and then Monday (08:30 first): each shows its own starts, no "closed" in between.
    for index, first in [(5, "09:00"), (0, "08:30")]:
        tabs = driver.find_elements(By.CSS_SELECTOR, ".day-tabs a")
        target = tabs[index].get_attribute("href").split("#")[1]
        tabs[index].click()
        assert driver.execute_script("return location.hash") == f"#{target}"
        assert shown_days(driver) == [target], f"after its tab {target}: the phone shows {shown_days(driver)}"
        section = driver.find_element(By.ID, target)
        times = [b.text for b in section.find_elements(By.CSS_SELECTOR, "li b")]
        assert times and times[0] == first, f"{target} starts at {times[:1]}, expected {first}"
        assert not section.find_elements(By.CSS_SELECTOR, "li.closed"), f"{target} lists a closed time"
        fits(driver, f"week page, {target}")
        if javascript:
            current = driver.find_element(By.CSS_SELECTOR, ".day-tabs a[aria-current]").get_attribute("href")
            assert current.endswith(f"#{target}"), f"the marked tab is {current}"


def test_week_on_a_phone_one_day_at_a_time(main_stack, driver):
    on_phone(driver)
    try:
        check_day_tabs(driver, main_stack, javascript=True)
        assert_accessible(driver, "week page on a phone")
        # Choose a free slot on the day shown: the own choice is yellow, the saved screenshot shows it.
        driver.get(main_stack.url(mixed_week(main_stack)))
        citizen = Citizen(driver, main_stack)
        shown = driver.find_element(By.CSS_SELECTOR, "section.day--initial")
        radio = shown.find_element(By.CSS_SELECTOR, "input[name=slot]")
        radio.find_element(By.XPATH, "./ancestor::label").click()
        assert radio.is_selected()
        colour = driver.execute_script(
            "return getComputedStyle(arguments[0].closest('li')).backgroundColor", radio)
        assert colour == "rgb(255, 216, 77)", f"the chosen slot is {colour}, not the selection's yellow"
        held = driver.execute_script("return getComputedStyle(document.querySelector('.swatch.held')).backgroundImage")
        assert "gradient" in held and "255, 216, 77" not in held, f"held looks like {held}"
        assert citizen.find(".legend").text.count(text("it", "grid.selected")) == 1
        assert_accessible(driver, "week page on a phone, a slot chosen")
        # A slot linked as the availability data links it ("#slot-<start>", here on Saturday): its day shows.
        saturday = driver.find_elements(By.CSS_SELECTOR, "section.day")[5]
        start = saturday.find_element(By.CSS_SELECTOR, "input[name=slot]").get_attribute("value")
        driver.get(main_stack.url("/"))
        driver.get(main_stack.url(mixed_week(main_stack) + f"#slot-{start}"))
        saturday = driver.find_elements(By.CSS_SELECTOR, "section.day")[5]
        assert shown_days(driver) == [saturday.get_attribute("id")], f"#slot-{start} shows {shown_days(driver)}"
        assert driver.find_element(By.CSS_SELECTOR, f"input[name=slot][value='{start}']").is_selected()
    finally:
        off_phone(driver)
    screenshot(driver, "week-phone")


def test_day_tabs_work_without_javascript(main_stack):
    browser = chrome(javascript=False)
    try:
        on_phone(browser)
        check_day_tabs(browser, main_stack, javascript=False)
        # The choice can still be sent from another day's tab: the form's check reaches the first radio.
        assert browser.find_elements(By.CSS_SELECTOR, "form.booking-form input[name=slot][required]")
    finally:
        browser.quit()


def test_catalogue_service_and_office_pages_fit_a_phone(main_stack, driver):
    on_phone(driver)
    try:
        driver.get(main_stack.url("/"))
        fits(driver, "catalogue")
        offices = driver.find_elements(By.CSS_SELECTOR, "details.office-entry")
        assert len(offices) >= 3, "offices are not collapsible"
        first = offices[0]
        link = first.find_element(By.CSS_SELECTOR, "a.entry-name")
        assert first.get_attribute("open") is not None and link.is_displayed(), "a small catalogue starts open"
        first.find_element(By.TAG_NAME, "summary").click()
        assert first.get_attribute("open") is None and not link.is_displayed(), "the office did not close"
        first.find_element(By.TAG_NAME, "summary").click()
        assert link.is_displayed(), "the office did not open again"
        assert_accessible(driver, "catalogue on a phone")

        # Catalogue → office page → service → week → back up through the breadcrumb, every level a link.
        first.find_element(By.CSS_SELECTOR, ".entry-office a").click()
        office_name = driver.find_element(By.TAG_NAME, "h1").text
        assert driver.current_url.endswith("/servizi/anagrafe/"), driver.current_url
        fits(driver, "office page")
        assert driver.find_element(By.CSS_SELECTOR, ".map-links a[href^='geo:']")
        assert driver.find_element(By.CSS_SELECTOR, ".map-links a[href^='https://www.openstreetmap.org/']")
        assert_accessible(driver, "office page on a phone")
        screenshot_office = driver.current_url
        driver.find_element(By.CSS_SELECTOR, f"a.entry-name[href$='/servizi/{MIXED}/']").click()
        fits(driver, "service page")
        assert_accessible(driver, "service page on a phone")
        driver.find_element(By.CSS_SELECTOR, "[data-element=service-booking-access]").click()
        fits(driver, "week page")
        crumbs = driver.find_elements(By.CSS_SELECTOR, "[data-element=breadcrumb] a")
        assert [c.text for c in crumbs][1] == office_name, [c.text for c in crumbs]
        crumbs[1].click()
        assert driver.find_element(By.TAG_NAME, "h1").text == office_name
        driver.get(main_stack.url("/en/servizi/anagrafe/"))
        fits(driver, "office page (en)")
        assert_accessible(driver, "office page on a phone (en)")
    finally:
        off_phone(driver)
    driver.get(screenshot_office)
    screenshot(driver, "office")
    driver.get(main_stack.url("/"))
    screenshot(driver, "catalogue-tree")


def test_office_and_week_pages_are_valid_html(main_stack):
    pages = [main_stack.output / "servizi/anagrafe/index.html", main_stack.output / "en/servizi/tributi/index.html",
             main_stack.output / "index.html", main_stack.week_files(MIXED)[1]]
    assert_valid_html(pages, "office, catalogue and week pages", root=main_stack.output)


def test_screenshots_for_the_readme():
    """The README shows the phone grid and the office page: the files this run saved are where it points."""
    for name in ["mobile-week-phone.png", "desktop-office.png", "mobile-office.png", "desktop-catalogue-tree.png"]:
        assert (SCREENSHOTS / name).stat().st_size > 10_000, f"{name} was not saved"
