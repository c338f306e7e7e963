"""Made-up people with valid codici fiscali (the endpoint checks format, dates and the check character)."""

from __future__ import annotations

_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                 12, 14, 16, 10, 22, 25, 24, 23]))
_EVEN = {**{str(d): d for d in range(10)}, **{chr(65 + i): i for i in range(26)}}


def check_character(first15: str) -> str:
    total = sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(first15))
    return chr(65 + total % 26)


def codice_fiscale(surname: str, name: str, year: int, month: int, day: int, female: bool,
                   comune: str = "E715") -> str:
    body = f"{surname}{name}{year % 100:02d}{'ABCDEHLMPRST'[month - 1]}{day + (40 if female else 0):02d}{comune}"
    return body + check_character(body)


assert codice_fiscale("RSS", "MRA", 1980, 1, 1, False, "H501") == "RSSMRA80A01H501U"


def person(n: int, lang: str = "it") -> dict:
    """The n-th citizen of the suite: each n has another birth date, so another codice fiscale."""
    people = [("Giulia", "Bianchi", "BNC", "GLI", True), ("Marco", "Ferrari", "FRR", "MRC", False),
              ("Anna", "Esposito", "SPS", "NNA", True), ("Luca", "Romano", "RMN", "LCU", False)]
    given, family, s3, n3, female = people[n % len(people)]
    day = 1 + n % 28
    return {
        "nome": given, "cognome": family,
        "codice_fiscale": codice_fiscale(s3, n3, 1985 - n // 28, 8, day, female),
        "email": f"{given.lower()}.{family.lower()}@example.it", "cellulare": f"333 123 {4500 + n:04d}",
        "note": "Rinnovo per scadenza" if lang == "it" else "Renewal, the card expires next month",
    }
