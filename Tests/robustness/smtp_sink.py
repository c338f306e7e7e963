"""An SMTP server on 127.0.0.1 for the robustness tests (Python's standard library only: `smtpd` is gone in 3.12).

It stands for the local MTA of `notifications.smtp`: EHLO with PIPELINING, MAIL, RCPT, DATA (dot-stuffing undone),
RSET, NOOP, QUIT, 250 to everything. Each accepted message lands whole in `folder` as `<n>.eml` (written aside, then
renamed), like the fake sendmail's, so the same checks count Message-IDs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from pathlib import Path


class SMTPSink:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = 0
        self.connections = 0
        self._counter = itertools.count()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "SMTPSink":
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"220 sink.test ESMTP\r\n")
        try:
            while line := await reader.readline():
                verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
                if verb == b"EHLO":
                    writer.write(b"250-sink.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    lines = []
                    while (data := await reader.readline()) not in (b".\r\n", b".\n"):
                        if not data:
                            return
                        lines.append(data[1:] if data.startswith(b".") else data)
                    name = self.folder / f"{next(self._counter):08d}-{os.getpid()}"
                    Path(f"{name}.tmp").write_bytes(b"".join(lines))
                    os.rename(f"{name}.tmp", f"{name}.eml")
                    writer.write(b"250 queued\r\n")
                elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    writer.write(b"250 ok\r\n")
                else:
                    writer.write(b"500 unknown command\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
