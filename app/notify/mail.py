"""Sending one email over SMTP with the standard library (``smtplib`` and ``email``).

Configured by ``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``, ``MAIL_USERNAME``,
``MAIL_PASSWORD`` and ``MAIL_DEFAULT_SENDER``. The demo prints mail to its console instead
(``MAIL_TO_CONSOLE``); the person is then not told that a message was sent.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any


class MailError(Exception):
    """The message was not accepted; the text says why (kept as the notification's last error)."""


def configured(config: Any) -> bool:
    """Whether mail really leaves this server (not only printed to the console)."""
    return bool(config.get("MAIL_SERVER"))


def send(config: Any, recipient: str, subject: str, body: str) -> None:
    """Send one plain-text email, or raise ``MailError``."""
    message = EmailMessage()
    sender = config.get("MAIL_DEFAULT_SENDER") or "safeguarding@localhost"
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    if not configured(config):
        if config.get("MAIL_TO_CONSOLE"):
            shown = f"From: {sender}\nTo: {recipient}\nSubject: {subject}\n\n{body}"
            print(f"\n--- mail (demo: printed here, not sent) ---\n{shown}\n---", file=sys.stdout, flush=True)
            return
        raise MailError("mail is not configured (MAIL_SERVER)")
    try:
        with _connect(config) as smtp:
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        raise MailError(f"the mail server refused {recipient}: {code} {_text(reason)}") from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"the mail server said {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not reach the mail server: {type(exc).__name__} {exc}") from None


def _connect(config: Any) -> smtplib.SMTP:
    host, port, timeout = config["MAIL_SERVER"], config.get("MAIL_PORT", 25), config["MAIL_TIMEOUT_SECONDS"]
    if config.get("MAIL_USE_SSL"):
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if config.get("MAIL_USE_TLS"):
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
