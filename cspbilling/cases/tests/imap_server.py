"""A tiny IMAP4rev1 server for tests (no IMAP server can be installed here): one mailbox in
memory, the commands imap-tools sends to read unseen mail and flag it seen. It speaks the
protocol over a real socket, so the poller is tested end to end, no mock of our code."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.mails: list[StoredMail] = []
        self.lock = threading.Lock()

    def add(self, raw: bytes) -> None:
        with self.lock:
            self.mails.append(StoredMail(uid=len(self.mails) + 1, raw=raw))

    def by_uids(self, spec: str) -> list[StoredMail]:
        wanted = set()
        for part in spec.split(","):
            if ":" in part:
                lo, hi = part.split(":")
                hi = hi if hi != "*" else str(len(self.mails))
                wanted |= set(range(int(lo), int(hi) + 1))
            else:
                wanted.add(int(part))
        return [m for m in self.mails if m.uid in wanted]


class Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        self.send("* OK IMAP4rev1 test server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode().strip().partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                command, _, args = args.partition(" ")
                command = "UID " + command.upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 UIDPLUS")
            elif command == "LOGIN":
                user, password = (a.strip('"') for a in args.split(" ", 1))
                if (user, password) != (box.user, box.password):
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
                    continue
            elif command in ("SELECT", "EXAMINE"):
                self.send(f"* {len(box.mails)} EXISTS")
                self.send("* OK [UIDVALIDITY 1] UIDs valid")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
                continue
            elif command == "UID SEARCH":
                unseen = "UNSEEN" in args.upper()
                uids = [str(m.uid) for m in box.mails if not (unseen and "\\Seen" in m.flags)]
                self.send("* SEARCH " + " ".join(uids))
            elif command == "UID FETCH":
                spec = args.split(" ", 1)[0]
                for mail in box.by_uids(spec):
                    flags = " ".join(sorted(mail.flags))
                    self.send(
                        f"* {mail.uid} FETCH (UID {mail.uid} FLAGS ({flags}) RFC822.SIZE "
                        f"{len(mail.raw)} BODY[] {{{len(mail.raw)}}}".encode()
                        + b"\r\n"
                        + mail.raw
                        + b")\r\n"
                    )
            elif command == "UID STORE":
                spec, _, change = args.partition(" ")
                flags = set(re.findall(r"\\\w+", change))
                for mail in box.by_uids(spec):
                    if change.upper().startswith("+FLAGS"):
                        mail.flags |= flags
                    elif change.upper().startswith("-FLAGS"):
                        mail.flags -= flags
                    self.send(f"* {mail.uid} FETCH (UID {mail.uid} FLAGS ({' '.join(mail.flags)}))")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command in ("NOOP", "CLOSE", "EXPUNGE"):
                pass
            else:
                self.send(f"{tag} BAD unknown command {command}")
                continue
            self.send(f"{tag} OK {command} completed")


class ImapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.mailbox = mailbox
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def __enter__(self) -> ImapServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
