"""A local stand-in for the App IO services API and for a webhook receiver, strict about what they accept.

IO (https://api.io.pagopa.it/api/v1, as documented in the IO technical guide): POST /api/v1/profiles with
{"fiscal_code": ...} answers 200 {"sender_allowed": ...} or 404; POST /api/v1/messages with
{"fiscal_code": ..., "content": {"subject": 10-120 characters, "markdown": 80-10,000}} answers 201 {"id": ...}.
Both need the Ocp-Apim-Subscription-Key header and a JSON body; anything else is refused (400/401) and logged.
Webhook: POST /hook, signed "sha256=" + HMAC-SHA256(secret, timestamp + "." + body) in X-Sportello-Signature,
the timestamp in X-Sportello-Timestamp within 300 s of --clock.

Writes its port to --port-file (the file appears whole, renamed into place), then logs every request as a JSON line in --log.
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FISCAL_CODE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
MESSAGE_KEYS = {"fiscal_code", "content", "time_to_live", "feature_level_type", "default_addresses"}
CONTENT_KEYS = {"subject", "markdown", "due_date", "payment_data", "prescription_data", "eu_covid_cert",
                "third_party_data"}

parser = argparse.ArgumentParser()
parser.add_argument("--key", required=True)
parser.add_argument("--subscribed", default="")
parser.add_argument("--disabled", default="")
parser.add_argument("--secret", default="")
parser.add_argument("--clock", type=int, default=0)
parser.add_argument("--log", required=True)
parser.add_argument("--port-file", required=True)
parser.add_argument("--fail", action="append", default=[], help="PATH=STATUS, answered once, in order")
parser.add_argument("--delay", action="append", default=[], help="PATH=SECONDS before answering")
options = parser.parse_args()

subscribed = set(filter(None, options.subscribed.split(",")))
disabled = set(filter(None, options.disabled.split(",")))
failures = [(item.split("=")[0], int(item.split("=")[1])) for item in options.fail]
delays = {item.split("=")[0]: float(item.split("=")[1]) for item in options.delay}
lock = threading.Lock()


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, entry):
        entry["status"] = status
        with lock, open(options.log, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(405, {"detail": "POST only"}, {"path": self.path, "refused": "method"})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        entry = {"path": self.path, "body": raw.decode("utf-8", "replace")}
        time.sleep(delays.get(self.path, 0))
        with lock:
            failure = next((f for f in failures if f[0] == self.path), None)
            if failure:
                failures.remove(failure)
        if failure:
            entry["refused"] = "told to fail"
            return self.answer(failure[1], {"title": "Stand-in failure", "detail": f"told to answer {failure[1]}"},
                               entry)
        if self.path == "/hook":
            return self.hook(raw, entry)
        if self.headers.get("Ocp-Apim-Subscription-Key") != options.key:
            entry["refused"] = "key"
            return self.answer(401, {"detail": "Access denied due to missing or invalid subscription key"}, entry)
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            entry["refused"] = "content type"
            return self.answer(400, {"detail": "JSON expected"}, entry)
        try:
            body = json.loads(raw)
        except ValueError:
            entry["refused"] = "not JSON"
            return self.answer(400, {"detail": "not JSON"}, entry)
        if not isinstance(body, dict) or not FISCAL_CODE.match(str(body.get("fiscal_code", ""))):
            entry["refused"] = "fiscal_code"
            return self.answer(400, {"title": "Invalid FiscalCode", "detail": "fiscal_code"}, entry)
        code = body["fiscal_code"]
        if self.path == "/api/v1/profiles":
            if set(body) != {"fiscal_code"}:
                entry["refused"] = "profile shape"
                return self.answer(400, {"detail": "unexpected fields"}, entry)
            if code in subscribed:
                return self.answer(200, {"sender_allowed": True, "preferred_languages": ["it_IT"]}, entry)
            if code in disabled:
                return self.answer(200, {"sender_allowed": False}, entry)
            return self.answer(404, {"title": "Not found", "detail": "profile not found"}, entry)
        if self.path == "/api/v1/messages":
            content = body.get("content")
            problem = None
            if not set(body) <= MESSAGE_KEYS or not isinstance(content, dict) or not set(content) <= CONTENT_KEYS:
                problem = "message shape"
            elif not isinstance(content.get("subject"), str) or not 10 <= utf16_length(content["subject"]) <= 120:
                problem = "subject length"
            elif not isinstance(content.get("markdown"), str) or not 80 <= utf16_length(content["markdown"]) <= 10000:
                problem = "markdown length"
            elif code not in subscribed:
                problem = "recipient"
            if problem:
                entry["refused"] = problem
                return self.answer(400, {"title": "Invalid message", "detail": problem}, entry)
            return self.answer(201, {"id": f"01STANDIN{int(time.time() * 1000)}"}, entry)
        entry["refused"] = "path"
        return self.answer(404, {"detail": "no such path"}, entry)

    def hook(self, raw, entry):
        timestamp = self.headers.get("X-Sportello-Timestamp", "")
        signature = self.headers.get("X-Sportello-Signature", "")
        expected = "sha256=" + hmac.new(options.secret.encode(), timestamp.encode() + b"." + raw,
                                        hashlib.sha256).hexdigest()
        entry["delivery"] = self.headers.get("X-Sportello-Delivery")
        if not hmac.compare_digest(signature, expected):
            entry["refused"] = "signature"
            return self.answer(401, {"detail": "bad signature"}, entry)
        if not timestamp.isdigit() or abs(int(timestamp) - (options.clock or int(time.time()))) > 300:
            entry["refused"] = "timestamp"
            return self.answer(401, {"detail": "stale timestamp"}, entry)
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            entry["refused"] = "content type"
            return self.answer(400, {"detail": "JSON expected"}, entry)
        return self.answer(200, {"ok": True}, entry)


# Started by a test process that may block or ignore SIGTERM: the stand-in must still end when told.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
signal.signal(signal.SIGTERM, signal.SIG_DFL)
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(options.port_file + ".tmp", "w") as port_file:
    port_file.write(str(server.server_address[1]))
os.rename(options.port_file + ".tmp", options.port_file)
server.serve_forever()
