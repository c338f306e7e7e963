"""nginx as deployed (deploy/sportello-site.conf): static pages, caching, security headers, the proxied endpoint
and its limits, pre-compressed pages; the production files themselves (nginx -t, systemd-analyze)."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from browser import text
from checks import REPORT
from stack import REPO

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(response, where):
    for name, expected in SECURITY_HEADERS.items():
        values = response.all(name)
        assert len(values) == 1, f"{where}: {name} appears {len(values)} times: {values}"
        assert expected in values[0], f"{where}: {name}: {values[0]}"
    assert response.header("Server") == "nginx", f"{where}: Server header shows a version: {response.header('Server')}"


def h1(body: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    return match.group(1).strip() if match else ""


def test_pages_revalidate_and_carry_security_headers(main_stack):
    for path in ["/", "/servizi/certificati/", "/en/", "/annulla/"]:
        response = main_stack.get(path)
        assert response.status == 200, path
        assert response.header("Content-Type") == "text/html; charset=utf-8", path
        # A booking changes a week page at any moment: always revalidate, never serve a stale page.
        assert response.all("Cache-Control") == ["no-cache"], f"{path}: {response.all('Cache-Control')}"
        assert response.header("ETag") and response.header("Last-Modified"), path
        assert_security_headers(response, path)
        again = main_stack.get(path, headers={"If-None-Match": response.header("ETag")})
        assert again.status == 304, f"{path}: revalidation answered {again.status}"
    head = main_stack.request("HEAD", "/")
    assert head.status == 200 and head.body == b""


def test_assets_are_cached_for_an_hour(main_stack):
    response = main_stack.get("/assets/sportello.css")
    assert response.status == 200
    assert response.header("Content-Type") == "text/css; charset=utf-8"
    assert response.all("Cache-Control") == ["public, max-age=3600"]
    assert_security_headers(response, "/assets/sportello.css")
    js = main_stack.get("/assets/sportello.js")
    assert js.status == 200 and "javascript" in js.header("Content-Type")


def test_availability_data_is_public_json_readable_from_any_origin(main_stack):
    """Issue 18 point 5: servizi/<service>/<week>.json and next.json come as application/json, revalidated like
    the pages they are rendered with, from their .gz, with Access-Control-Allow-Origin: * (public data, no
    cookies); the pages themselves get no CORS header."""
    weeks = sorted(main_stack.output.glob("servizi/certificati/*-W*.json"))
    assert weeks, "no week data file beside the week pages"
    for path in ["/servizi/certificati/next.json", "/" + str(weeks[0].relative_to(main_stack.output))]:
        response = main_stack.get(path, headers={"Accept-Encoding": "gzip", "Origin": "https://app.example"})
        assert response.status == 200, path
        assert response.header("Content-Type") == "application/json; charset=utf-8", path
        assert response.all("Cache-Control") == ["no-cache"], f"{path}: {response.all('Cache-Control')}"
        assert response.all("Access-Control-Allow-Origin") == ["*"], path
        assert response.header("Content-Encoding") == "gzip", path
        assert response.header("Set-Cookie") is None, path
        assert_security_headers(response, path)
        assert b'"timeZone":"Europe/Rome"' in gzip.decompress(response.body), path
    page = main_stack.get("/servizi/certificati/")
    assert page.header("Access-Control-Allow-Origin") is None


def test_folders_redirect_with_a_relative_location(main_stack):
    response = main_stack.get("/servizi/certificati")
    assert response.status == 301
    assert response.header("Location") == "/servizi/certificati/"


def test_missing_pages_answer_the_404_page_of_their_language(main_stack):
    for path, lang in [("/non-esiste/", "it"), ("/servizi/certificati/1999-W01/", "it"), ("/en/missing/", "en"),
                       ("/de/fehlt/", "it"), ("/.env", "it"), ("/servizi/.hidden", "it")]:
        response = main_stack.get(path)
        assert response.status == 404, f"{path}: {response.status}"
        assert h1(response.text) == text(lang, "notFound.title"), f"{path}: {h1(response.text)}"
        assert response.all("Cache-Control") == ["no-cache"]
        assert_security_headers(response, path)


def test_endpoint_is_proxied_post_only_without_cache(main_stack):
    response = main_stack.get("/api/holds")
    assert response.status == 405
    assert response.header("Allow") == "POST"
    assert h1(response.text) == text("it", "errors.method_not_allowed.title")
    assert response.all("Cache-Control") == ["no-store"], response.all("Cache-Control")
    assert_security_headers(response, "GET /api/holds")


def test_endpoint_checks_origin_behind_nginx(main_stack):
    foreign = main_stack.post("/api/holds", {"service": "certificati", "slot": "0"}, origin="https://evil.example")
    assert foreign.status == 403
    assert h1(foreign.text) == text("it", "errors.bad_origin.title")
    json_client = main_stack.post("/api/holds", {"service": "nessuno", "slot": "0"}, json_api=True, origin=None)
    assert json_client.status == 404 and json_client.json()["error"] == "unknown_service"


def test_endpoint_believes_nginx_not_the_client_about_the_address(main_stack):
    """The client connects to nginx from 127.0.0.2 and claims to be 203.0.113.9: nginx replaces X-Forwarded-For
    with the address it sees, and the endpoint, whose peer is nginx at 127.0.0.1 (in trustedProxies), records
    127.0.0.2, the address the rate limit and the audit use."""
    start = free_slot_from_output(main_stack, "tari", skip=3)
    response = main_stack.post("/api/holds", {"service": "tari", "slot": str(start)}, json_api=True,
                               headers={"X-Forwarded-For": "203.0.113.9"}, source="127.0.0.2")
    assert response.status == 201, response.text
    token = response.json()["hold"]["token"]
    with sqlite3.connect(f"file:{main_stack.database}?mode=ro", uri=True) as db:
        (address,) = db.execute("SELECT client_ip FROM holds WHERE token = ?", (token,)).fetchone()
    assert address == "127.0.0.2", address
    released = main_stack.post("/api/holds/release", {"hold": token}, json_api=True)
    assert released.status == 200


def test_request_bodies_are_limited(main_stack):
    # Up to 128 KiB nginx passes the body on and the endpoint answers its own page (its limit is 64 KiB).
    medium = main_stack.request("POST", "/api/holds", body=b"a=" + b"x" * 100_000,
                                headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": main_stack.origin})
    assert medium.status == 413
    assert h1(medium.text) == text("it", "httpErrors.tooLarge.title"), medium.text[:300]
    # Beyond that nginx refuses it without bothering the endpoint.
    large = main_stack.request("POST", "/api/holds", body=b"a=" + b"x" * 300_000,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert large.status == 413


def test_html_is_compressed(main_stack):
    response = main_stack.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in (response.header("Vary") or "")
    assert b"<!DOCTYPE html>" in gzip.decompress(response.body)


def test_precompressed_pages_are_served_as_they_are(main_stack):
    """The publisher's `.gz` siblings: same mtime as the page, sent by gzip_static with Content-Encoding: gzip."""
    compressed = sorted(main_stack.output.rglob("*.gz"))
    if not compressed:
        REPORT.notes.append("gzip_static: the publisher writes no .gz files yet; the check ran on none")
        pytest.skip("the publisher writes no .gz files yet")
    pages = [p for p in compressed if p.with_suffix("").exists()]
    assert len(pages) == len(compressed), "a .gz file without its page"
    def mismatched(candidates):
        return [gz for gz in candidates if os.stat(gz).st_mtime_ns != os.stat(gz.with_suffix("")).st_mtime_ns
                or gzip.decompress(gz.read_bytes()) != gz.with_suffix("").read_bytes()]

    # The running server republishes pages in the background: look again at a pair caught between two writes.
    wrong = mismatched(pages)
    if wrong:
        time.sleep(2)
        wrong = mismatched(wrong)
    assert not wrong, f"{len(wrong)} .gz files differ from their page (mtime or content), e.g. {wrong[0]}"
    samples = [pages[0], pages[len(pages) // 2], pages[-1]]
    for gz in samples:
        relative = "/" + str(gz.with_suffix("").relative_to(main_stack.output)).removesuffix("index.html")
        response = main_stack.get(relative, headers={"Accept-Encoding": "gzip"})
        assert response.status == 200, relative
        assert response.header("Content-Encoding") == "gzip", relative
        assert response.body == gz.read_bytes(), f"{relative}: nginx did not send the .gz file"
        plain = main_stack.get(relative)
        assert plain.header("Content-Encoding") is None and plain.body == gz.with_suffix("").read_bytes()
    REPORT.notes.append(f"gzip_static: {len(pages)} .gz files with their page's mtime; {len(samples)} served as they are")


@pytest.mark.parametrize("api", ["sportello-api.conf", "nginx-identity.conf"])
def test_production_nginx_conf_is_accepted_by_nginx(tmp_path, api):
    """deploy/nginx.conf, with a throw-away certificate in place of Let's Encrypt's, passes `nginx -t`; so does
    its SPID/CIE variant (nginx-identity.conf in place of sportello-api.conf)."""
    if not (REPO / "deploy" / api).exists():
        pytest.skip(f"no deploy/{api}")
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", certs / "privkey.pem", "-out", certs / "fullchain.pem"], check=True, capture_output=True)
    install = tmp_path / "srv-sportello"
    install.mkdir()
    (install / "deploy").symlink_to(REPO / "deploy")
    (install / "output").mkdir()
    site = (REPO / "deploy/nginx.conf").read_text()
    for old, new in [("/deploy/sportello-api.conf;", f"/deploy/{api};"),
                     ("/etc/letsencrypt/live/prenota.comune.example.it/", f"{certs}/"), ("/srv/sportello/", f"{install}/"),
                     ("/var/log/nginx/", f"{tmp_path}/")]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "sportello").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n include {tmp_path}/sportello;\n}}\n")
    result = subprocess.run(["nginx", "-t", "-e", str(tmp_path / "error.log"), "-p", f"{tmp_path}/", "-c",
                             str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_systemd_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (REPO / "deploy/sportello.service").read_text()
    assert "/srv/sportello/bin/sportello serve --host 127.0.0.1 --port 8080" in unit
    # verify checks that ExecStart exists: point it at the binary the suite built.
    (tmp_path / "sportello.service").write_text(unit.replace("/srv/sportello/bin/sportello", str(REPO / ".build/debug/sportello")))
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "sportello.service")], capture_output=True, text=True)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "sportello.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def free_slot_from_output(stack, service: str, skip: int = 0) -> int:
    """A free slot read from the published week pages (the first ones are left to the browser tests)."""
    slots = []
    for week in stack.week_files(service):
        slots += [int(v) for v in re.findall(r'<input type="radio" name="slot" value="(\d+)"', week.read_text())]
        if len(slots) > skip:
            break
    assert len(slots) > skip, f"no free slot for {service}"
    return slots[skip]
