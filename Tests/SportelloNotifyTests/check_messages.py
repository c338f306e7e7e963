"""Parses Sportello's mails and calendar files with independent parsers (Python's email package and the
icalendar package) and prints what it found as JSON, for the Swift tests to check.

usage: check_messages.py FILE.eml ...   (each an RFC 5322 message as handed to sendmail)
"""
import json
import sys
from email import message_from_bytes, policy

import icalendar


def check(path):
    raw = open(path, "rb").read()
    result = {"file": path, "problems": []}
    lines = raw.split(b"\r\n")
    if b"\n" in raw.replace(b"\r\n", b""):
        result["problems"].append("bare LF line end")
    longest = max(len(line) for line in lines)
    result["longestLine"] = longest
    result["longLines"] = [line[:100].decode("utf-8", "replace") for line in lines if len(line) > 78]
    if longest > 998:
        result["problems"].append(f"line of {longest} octets")
    message = message_from_bytes(raw, policy=policy.default)
    for defect in message.defects:
        result["problems"].append(f"defect: {defect!r}")
    result["subject"] = str(message["Subject"])
    result["from"] = str(message["From"])
    result["fromNames"] = [address.display_name for address in message["From"].addresses]
    result["fromAddresses"] = [address.addr_spec for address in message["From"].addresses]
    result["to"] = str(message["To"])
    result["messageID"] = str(message["Message-ID"])
    result["date"] = str(message["Date"])
    result["contentType"] = message.get_content_type()
    parts = []
    for part in message.walk():
        for defect in part.defects:
            result["problems"].append(f"part defect: {defect!r}")
        if part.is_multipart():
            parts.append(part.get_content_type())
            continue
        info = {"type": part.get_content_type(), "filename": part.get_filename()}
        content = part.get_content()
        if isinstance(content, bytes):
            content = content.decode("utf-8")
        info["text"] = content
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(content)
            events = [component for component in calendar.walk() if component.name == "VEVENT"]
            event = events[0]
            info["calendar"] = {
                "method": str(calendar.get("METHOD")),
                "uid": str(event.get("UID")),
                "sequence": int(event.get("SEQUENCE")),
                "status": str(event.get("STATUS")),
                "dtstart": event.decoded("DTSTART").isoformat(),
                "dtend": event.decoded("DTEND").isoformat(),
                "location": str(event.get("LOCATION")),
                "summary": str(event.get("SUMMARY")),
                "organizer": str(event.get("ORGANIZER")),
                "attendee": str(event.get("ATTENDEE")),
            }
        parts.append(info)
    result["parts"] = parts
    return result


print(json.dumps([check(path) for path in sys.argv[1:]], ensure_ascii=False))
