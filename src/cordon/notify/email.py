"""E-mail over SMTP with the standard library (STARTTLS and login when configured)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from cordon.notify.base import DeliveryFailed, Outgoing

__all__ = ["SmtpConfig", "send"]


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send (``CORDON_SMTP_*``); ``repr`` never shows the password."""

    host: str | None
    port: int = 25
    sender: str = "cordon@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"SmtpConfig(host={self.host!r}, port={self.port}, user={self.user!r})"


def message(config: SmtpConfig, out: Outgoing) -> EmailMessage:
    """The e-mail of one notification; its Message-ID names the delivery (one per id)."""
    mail = EmailMessage()
    mail["From"] = config.sender
    mail["To"] = out.address
    mail["Subject"] = out.subject
    mail["Message-ID"] = make_msgid(idstring=f"cordon-{out.id}")
    mail["X-Cordon-Delivery"] = str(out.id)
    mail["X-Cordon-Event"] = out.event
    mail.set_content(out.body)
    return mail


def send(config: SmtpConfig, out: Outgoing) -> None:
    """Hand the message to the SMTP server; raises DeliveryFailed when it is not accepted."""
    if not config.host:
        raise DeliveryFailed("no SMTP server configured (set CORDON_SMTP_HOST)")
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.user:
                smtp.login(config.user, config.password or "")
            refused = smtp.send_message(message(config, out))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryFailed(f"SMTP login refused ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP server answered {exc.smtp_code}") from None
    except smtplib.SMTPException as exc:
        raise DeliveryFailed(f"SMTP: {type(exc).__name__}") from None
    except OSError as exc:  # refused, unreachable, timed out
        raise DeliveryFailed(f"SMTP server {config.host}:{config.port} unreachable "
                             f"({type(exc).__name__})") from None  # fmt: skip
    if refused:
        raise DeliveryFailed("the SMTP server refused the recipient")
