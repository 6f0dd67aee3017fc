"""Sending one message: SMTP, a signed webhook, or a registered Partner Center command.

Each raises PermanentDeliveryError when a retry cannot help and TemporaryDeliveryError (or any
other exception) when it may.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import time
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from cspbilling.notifications.attachments import render_attachment
from cspbilling.notifications.commands import run_command
from cspbilling.notifications.errors import PermanentDeliveryError, TemporaryDeliveryError
from cspbilling.notifications.models import MessageKind, OutboundMessage

IDEMPOTENCY_HEADER = "X-CSPBilling-Idempotency-Key"
SIGNATURE_HEADER = "X-CSPBilling-Signature"
TIMESTAMP_HEADER = "X-CSPBilling-Timestamp"
# RFC 5322 atext plus the dot: what may stand left of the @ in a Message-ID.
_ATEXT = "!#$%&'*+-/=?^_`{|}~."


def message_id_for(idempotency_key: str) -> str:
    """The Message-ID of an email: the same key always gives the same id, so a receiver (or a
    test) can tell a duplicate."""
    return f"<{quote(idempotency_key, safe=_ATEXT)}@cspbilling>"


def send(message: OutboundMessage) -> None:
    if message.kind == MessageKind.EMAIL:
        send_email(message)
    elif message.kind == MessageKind.WEBHOOK:
        send_webhook(message)
    elif message.kind == MessageKind.PARTNER_CENTER:
        send_command(message)
    else:
        raise PermanentDeliveryError(f"unknown message kind {message.kind!r}")


def send_email(message: OutboundMessage) -> None:
    p = message.payload
    headers = {
        **p.get("headers", {}),
        "Message-ID": message_id_for(message.idempotency_key),
        IDEMPOTENCY_HEADER: message.idempotency_key,
        "Content-Language": p.get("language") or "en",
    }
    email = EmailMultiAlternatives(
        subject=p["subject"],
        body=p["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=p["to"],
        cc=p.get("cc") or [],
        headers=headers,
    )
    if p.get("html_body"):
        email.attach_alternative(p["html_body"], "text/html")
    for spec in p.get("attachments") or []:
        attachment = render_attachment(spec)
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        detail = "; ".join(
            f"{rcpt}: {code} {reply.decode(errors='replace')}"
            for rcpt, (code, reply) in exc.recipients.items()
        )
        error = PermanentDeliveryError if all(c >= 500 for c in codes) else TemporaryDeliveryError
        raise error(f"recipients refused: {detail}") from exc
    except smtplib.SMTPAuthenticationError as exc:
        # A configuration problem, not the message's: keep retrying until someone fixes it.
        raise TemporaryDeliveryError(f"SMTP authentication failed: {_smtp_text(exc)}") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise TemporaryDeliveryError(f"sender refused: {_smtp_text(exc)}") from exc
    except smtplib.SMTPResponseException as exc:
        error = PermanentDeliveryError if exc.smtp_code >= 500 else TemporaryDeliveryError
        raise error(f"SMTP error: {_smtp_text(exc)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryDeliveryError(f"SMTP connection failed: {exc!r}") from exc


def _smtp_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {text}".strip()


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + HMAC-SHA256 over `{timestamp}.{body}`; receivers recompute and compare."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def send_webhook(message: OutboundMessage) -> None:
    p = message.payload
    secret = os.environ.get(p["secret_name"])
    if not secret:
        raise PermanentDeliveryError(
            f"environment variable {p['secret_name']} (the webhook secret) is not set"
        )
    body = json.dumps(p["body"], sort_keys=True, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": message.idempotency_key,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_webhook(secret, timestamp, body),
    }
    try:
        response = httpx.post(p["url"], content=body, headers=headers, timeout=30.0)
    except httpx.HTTPError as exc:
        raise TemporaryDeliveryError(f"webhook request failed: {exc!r}") from exc
    if response.is_success:
        return
    detail = f"webhook answered {response.status_code}: {response.text[:500]}"
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise TemporaryDeliveryError(detail)
    raise PermanentDeliveryError(detail)


def send_command(message: OutboundMessage) -> None:
    p = message.payload
    run_command(p["operation"], p.get("args") or {}, idempotency_key=message.idempotency_key)
