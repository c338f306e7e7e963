"""A citizen books, moves the booking to another time from the cancellation page, and sees the new time."""

from __future__ import annotations

from browser import Citizen, slot_time, text
from people import person


def test_book_move_see_the_new_time(main_stack, driver):
    citizen = Citizen(driver, main_stack)
    someone = person(7)
    start, code = citizen.book("certificati", someone)
    citizen.wait_for_cell(start, "booked", text("it", "state.booked"))

    # The lookup page: code + codice fiscale, "Sposta la prenotazione".
    citizen.go(f"{citizen.prefix}/annulla/")
    citizen.find("#move-code").send_keys(code)
    citizen.find("#move-cf").send_keys(someone["codice_fiscale"])
    citizen.press(text("it", "move.submit"))
    citizen.expect_h1(text("it", "move.title"), "move page")
    assert citizen.when_text(start) in citizen.find("dl.summary").text, "the move page does not say the current time"
    citizen.accessible("move page")

    # The free starts of the same service: the booking's own is not among them.
    choices = citizen.all("input[name='slot'][type='radio']")
    assert choices, "no free start offered"
    starts = [int(choice.get_attribute("value")) for choice in choices]
    assert start not in starts
    chosen = starts[0]
    citizen.find(f"label[for='move-{chosen}']").click()
    citizen.press(text("it", "move.submit"))
    citizen.expect_h1(text("it", "move.doneTitle"), "moved page")
    new_time = citizen.find("[data-element='move-new-time']").text
    moved_to = slot_time(chosen)
    assert citizen.when_text(chosen) in new_time and f"{moved_to:%H:%M}" in new_time, f"the page says «{new_time}»"
    assert code in citizen.find("dl.summary").text, "the booking code changed"
    citizen.accessible("moved page")

    # The week pages: the old place free again, the new one taken.
    citizen.wait_for_cell(chosen, "booked", text("it", "state.booked"))
    citizen.wait_for_cell(start, "free", text("it", "state.free"))

    # The receipt shows the new time under the same code.
    citizen.go(f"{citizen.prefix}/annulla/")
    citizen.find("#receipt-code").send_keys(code)
    citizen.find("#receipt-cf").send_keys(someone["codice_fiscale"])
    citizen.press(text("it", "receipt.submit"))
    receipt = citizen.body_text()
    assert citizen.when_text(chosen) in receipt and f"{moved_to:%H:%M}" in receipt, "the receipt shows another time"
