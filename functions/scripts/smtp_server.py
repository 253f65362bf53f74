"""A real SMTP server on loopback for the classmates-api e-mail tests (aiosmtpd).

Each accepted message is written whole (temporary file renamed into place) as
SPOOL/<mailbox>/<n>.eml, where <mailbox> is the local part of the envelope sender: each test
sends from its own address and reads its own folder. While SPOOL/<mailbox>/down exists, the
server answers that sender's messages with a temporary failure (451), as a server in trouble
would: the test of an outage creates and removes that file. A recipient at the domain
refused.classmates.test is refused for good (550 at RCPT), as an unknown mailbox is: the test
of a delivery failure sends to one.

    python3 smtp_server.py HOST PORT SPOOL
"""

import asyncio
import itertools
import os
import re
import sys

from aiosmtpd.controller import Controller


class Spool:
    def __init__(self, root):
        self.root = root
        self.counter = itertools.count(1)

    def folder(self, envelope):
        local = (envelope.mail_from or "anonymous").split("@")[0]
        return os.path.join(self.root, re.sub(r"[^A-Za-z0-9_-]", "_", local) or "anonymous")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@refused.classmates.test"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        folder = self.folder(envelope)
        if os.path.exists(os.path.join(folder, "down")):
            return "451 4.3.0 Temporary failure, try again later"
        os.makedirs(folder, exist_ok=True)
        n = next(self.counter)
        path = os.path.join(folder, f"{n:06d}.eml")
        with open(path + ".part", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.replace(path + ".part", path)
        return "250 2.0.0 OK"


def main():
    host, port, spool = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(spool, exist_ok=True)
    controller = Controller(Spool(spool), hostname=host, port=port, data_size_limit=10 * 1024 * 1024)
    controller.start()
    print(f"aiosmtpd on {host}:{port}, spool {spool}", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
