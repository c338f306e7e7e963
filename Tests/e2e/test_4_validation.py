"""The Nu HTML Checker on every generated page and on every kind of page the endpoint answers, as served
through nginx (the bytes, not a browser's DOM)."""

from __future__ import annotations

import re

from browser import text
from checks import assert_accessible, assert_valid_html
from people import person
from stack import ARTIFACTS
from test_1_nginx import free_slot_from_output


def test_every_generated_page_is_valid_html(main_stack):
    pages = sorted(main_stack.output.rglob("*.html"))
    # The demo comune: catalogue, 404 and cancel pages, 9 services and 13 weeks each, in two languages,
    # plus the endpoint-down page.
    assert len(pages) >= 250, f"only {len(pages)} pages in output/"
    assert_valid_html(pages, "output/ (every generated page)", root=main_stack.output)
    assert_valid_html([main_stack.output / "assets/sportello.css"], "output/assets/sportello.css", css=True)


def test_every_endpoint_page_is_valid_html(main_stack):
    folder = ARTIFACTS / "endpoint-pages"
    folder.mkdir(parents=True, exist_ok=True)
    saved = []

    def keep(name, response, status):
        assert response.status == status, f"{name}: {response.status} {response.text[:300]}"
        assert response.header("Content-Type") == "text/html; charset=utf-8", name
        path = folder / f"{name}.html"
        path.write_bytes(response.body)
        saved.append(path)
        return response.text

    for n, lang in enumerate(["it", "en"]):
        someone = person(10 + n, lang)
        service = "stato-civile"                       # a required reason: the form has its textarea
        start = free_slot_from_output(main_stack, service, skip=2 + n)
        page = keep(f"form-{lang}", main_stack.post("/api/holds", {"service": service, "slot": start, "lang": lang}), 200)
        hold = re.search(r'name="hold" value="([0-9a-f]+)"', page).group(1)
        bad = dict(someone, codice_fiscale="RSSMRA80A01H501X", email="nope", nome="", note="")
        keep(f"form-errors-{lang}", main_stack.post("/api/review", {"hold": hold, "lang": lang, **bad}), 422)
        keep(f"form-edit-{lang}", main_stack.post("/api/review", {"hold": hold, "lang": lang, "action": "edit", **someone}), 200)
        keep(f"summary-{lang}", main_stack.post("/api/review", {"hold": hold, "lang": lang, **someone}), 200)
        page = keep(f"confirmation-{lang}", main_stack.post("/api/bookings", {"hold": hold, "lang": lang, **someone}), 201)
        code = re.search(r'class="booking-code">([^<]+)<', page).group(1)
        keep(f"error-slot-full-{lang}", main_stack.post("/api/holds", {"service": service, "slot": start, "lang": lang}), 409)
        keep(f"cancel-confirm-{lang}", main_stack.post("/api/cancellations",
                                                       {"code": code, "codice_fiscale": someone["codice_fiscale"], "lang": lang}), 200)
        keep(f"cancelled-{lang}", main_stack.post("/api/cancellations",
                                                  {"code": code, "codice_fiscale": someone["codice_fiscale"], "lang": lang,
                                                   "confirm": "1"}), 200)
        keep(f"error-booking-not-found-{lang}", main_stack.post("/api/cancellations",
                                                               {"code": "22222222", "codice_fiscale": someone["codice_fiscale"], "lang": lang}), 404)
        keep(f"error-unknown-slot-{lang}", main_stack.post("/api/holds", {"service": service, "slot": "12345", "lang": lang}), 422)
        keep(f"error-method-{lang}", main_stack.get("/api/bookings", headers={"Accept-Language": lang}), 405)

    # A released hold, then the form sent anyway.
    start = free_slot_from_output(main_stack, "certificati", skip=6)
    page = main_stack.post("/api/holds", {"service": "certificati", "slot": start}).text
    hold = re.search(r'name="hold" value="([0-9a-f]+)"', page).group(1)
    released = main_stack.post("/api/holds/release", {"hold": hold})
    assert released.status in (302, 303) and "/servizi/certificati/" in released.header("Location")
    keep("error-hold-released", main_stack.post("/api/review", {"hold": hold, **person(12)}), 410)
    keep("error-hold-not-found", main_stack.post("/api/bookings", {"hold": "ab" * 16, **person(12)}), 404)
    keep("error-unknown-service", main_stack.post("/api/holds", {"service": "nessuno", "slot": "1"}), 404)
    keep("error-bad-origin", main_stack.post("/api/holds", {"service": "certificati", "slot": "1"}, origin="https://evil.example"), 403)
    keep("error-bad-form", main_stack.request("POST", "/api/holds", body=b"service=%FF%FE",
                                              headers={"Content-Type": "application/x-www-form-urlencoded"}), 400)
    keep("error-unknown-operation", main_stack.post("/api/nothing", {"a": "b"}), 404)
    keep("error-too-large", main_stack.request("POST", "/api/holds", body=b"a=" + b"x" * 100_000,
                                               headers={"Content-Type": "application/x-www-form-urlencoded"}), 413)
    keep("endpoint-down", main_stack.get("/assets/endpoint-down.html"), 200)
    assert_valid_html(saved, "endpoint pages (every kind, both languages)", root=folder)


def test_week_page_variants_are_accessible(main_stack, driver):
    """axe-core on the week pages that show what the flow may not reach: holidays and closures with their reason,
    slots not bookable yet, a week without free places, the previous-week link; in both languages."""
    features = {
        "closure reason": 'class="closed-reason"',
        "not bookable yet": '<li class="not-yet-bookable">',
        "no free places": f'<p class="notice">{text("it", "week.noFree")}</p>',
        "previous week link": 'rel="prev"',
    }
    weeks = main_stack.week_files()
    for what, marker in features.items():
        page = next((w for w in weeks if marker in w.read_text()), None)
        assert page, f"no week page with {what} in the demo comune"
        relative = page.relative_to(main_stack.output / "servizi")
        service, week_name = relative.parts[0], relative.parts[1].removesuffix(".html")
        for prefix, lang in [("", "it"), ("/en", "en")]:
            driver.get(main_stack.url(main_stack.week_path(service, week_name, prefix)))
            assert_accessible(driver, f"week page: {what} ({lang})")
