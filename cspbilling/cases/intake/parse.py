"""Reading one inbound email as Chinese mail clients send it: GBK / GB2312 / GB18030 bodies
(read as GB18030, their superset: Foxmail labels GBK text "gb2312"), RFC 2047 subjects and
attachment names, HTML-only bodies, and the quoted history of Foxmail, Outlook (English and
Chinese) and "On … wrote:" clients, folded away from the new text. Automatic mail (auto-replies,
bounces, list mail, our own messages coming back) is recognised so that it never makes or
answers a case. No database here: `services.intake` writes."""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses, parseaddr

from django.conf import settings

GB_CHARSETS = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "euc-cn", "x-euc-cn", "gb18030"}
REFERENCE = re.compile(r"\bCASE-(\d{6,})\b", re.IGNORECASE)
MSGID = re.compile(r"<[^<>\s]+>")

# Where quoted history starts: a line matching one of these (the rest is the history).
QUOTE_MARKERS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^-{2,}\s*(原始邮件|Original Message|Original|Message d'origine)\s*-{2,}",
        r"^-{5,}\s*(Forwarded message|转发邮件)",
        r"^_{10,}\s*$",  # Outlook's rule above "From:/Sent:"
        r"^(From|发件人|De)\s*[:：].+",  # Outlook header block (first line)
        r"^On .{4,200}wrote:\s*$",
        r"^在.{4,200}写道[:：]\s*$",
        r"^Le .{4,200}a écrit\s*:\s*$",
        r"^>",
    )
]


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    body: str
    quoted: str
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    automatic: str = ""  # why it is not a person's mail ("" when it is)

    @property
    def case_numbers(self) -> list[int]:
        return [int(n) for n in REFERENCE.findall(self.subject)]

    @property
    def thread_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of a part: its declared charset (any GB one read as GB18030), else UTF-8, else
    GB18030; never an exception (a byte that fits nothing becomes U+FFFD)."""
    name = (charset or "").strip().strip('"').lower()
    if name in GB_CHARSETS:
        return data.decode("gb18030", errors="replace")
    for candidate in filter(None, (name, "utf-8")):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", errors="replace")


def decode_header_value(value: object) -> str:
    """An RFC 2047 header (or attachment name) as text, GB charsets read as GB18030."""
    if value is None:
        return ""
    if isinstance(value, tuple):  # an RFC 2231 parameter
        return collapse_rfc2231_value(value)
    try:
        parts = decode_header(str(value))
    except Exception:
        return str(value)
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in parts
    )
    return " ".join(text.split())


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head).*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|<blockquote[^>]*>", "\n", markup)
    markup = re.sub(r"(?i)<hr[^>]*>", "\n________________________________\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return re.sub(r"\n{3,}", "\n\n", text.replace("\xa0", " "))


def _text_of(part: Message) -> str:
    return decode_bytes(part.get_payload(decode=True) or b"", part.get_content_charset())


def _body_and_attachments(message: Message) -> tuple[str, list[Attachment]]:
    plain, markup, attachments = [], [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        filename = decode_header_value(part.get_filename())
        ctype = part.get_content_type()
        if disposition == "attachment" or (filename and disposition != "inline"):
            attachments.append(
                Attachment(
                    filename=filename or "attachment",
                    content_type=ctype,
                    content=part.get_payload(decode=True) or b"",
                )
            )
        elif ctype == "text/plain":
            plain.append(_text_of(part))
        elif ctype == "text/html":
            markup.append(_text_of(part))
    text = "\n".join(plain) if plain else "\n".join(_html_to_text(m) for m in markup)
    return text.replace("\r\n", "\n").strip(), attachments


def fold_quoted_history(text: str) -> tuple[str, str]:
    """(new text, quoted history): the history starts at the first quote marker line."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number and any(marker.match(stripped) for marker in QUOTE_MARKERS):
            return "\n".join(lines[:number]).strip(), "\n".join(lines[number:]).strip()
    return text.strip(), ""


def automatic_reason(message: Message, sender: str) -> str:
    """Why this mail is not a person writing ("" if it is): auto-replies, bounces, list or bulk
    mail, and loops (our own mail, or mail from our own mailbox)."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no":
        return f"Auto-Submitted: {auto}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"):
        if message.get(header):
            return header
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report" or message.get("X-Failed-Recipients"):
        return "delivery status notification (bounce)"
    local = sender.split("@")[0]
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply"}:
        return f"sent by {sender}"
    if (message.get("Return-Path") or "").strip() == "<>":
        return "empty Return-Path (bounce)"
    ours = {settings.CASES_MAILBOX_ADDRESS.lower(), settings.DEFAULT_FROM_EMAIL.lower()}
    if sender in ours or message.get("X-CSPBilling-Idempotency-Key"):
        return "mail loop (our own message)"
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "mailing list"
    return ""


def parse_email(raw: bytes) -> InboundMail:
    message = email.message_from_bytes(raw)
    name, address = parseaddr(str(message.get("From", "")))
    name = decode_header_value(name)
    sender = address.strip().lower()
    body, attachments = _body_and_attachments(message)
    new_text, quoted = fold_quoted_history(body)
    message_id = (MSGID.findall(str(message.get("Message-ID", ""))) or [""])[0]
    references = MSGID.findall(str(message.get("References", "")))
    in_reply_to = MSGID.findall(str(message.get("In-Reply-To", "")))
    subject = decode_header_value(message.get("Subject", ""))
    return InboundMail(
        message_id=message_id,
        sender=sender,
        sender_name=name,
        subject=subject,
        body=new_text or body.strip(),
        quoted=quoted,
        in_reply_to=in_reply_to,
        references=references,
        attachments=attachments,
        automatic=automatic_reason(message, sender),
    )


def recipients_of(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw)
    pairs = getaddresses([str(message.get(h, "")) for h in ("To", "Cc")])
    return [address.lower() for _, address in pairs if address]
