"""The example site's mail: printed on the console and kept for the outbox page.

So the demo works without a mail server: e-mailed codes can be read at
``/outbox/`` (DEBUG only). Never do this on a real site.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.message import EmailMessage

from django_twostep import clock


def outbox_path() -> Path:
    return Path(settings.EXAMPLE_OUTBOX_FILE)


class OutboxBackend(ConsoleBackend):
    """The console backend, plus a JSON-lines file the outbox page reads."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        with outbox_path().open("a", encoding="utf-8") as outbox:
            for message in email_messages:
                record = {
                    "sent_at": clock.now().isoformat(timespec="seconds"),
                    "to": [address for _, address in getaddresses(message.to)],
                    "subject": str(message.subject),
                    "body": str(message.body),
                }
                outbox.write(json.dumps(record) + "\n")
        return sent


def read_outbox(limit: int = 50) -> list[dict[str, Any]]:
    """The newest mails first."""
    try:
        lines = outbox_path().read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in reversed(lines[-limit:]) if line.strip()]
