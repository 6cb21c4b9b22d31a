import logging
import re

ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
# Mobile numbers, also with the +86 / 86 country prefix.
PHONE_RE = re.compile(r"(?<![\d])((?:\+?86)?1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def redact_text(text: str) -> str:
    return PHONE_RE.sub(r"\1****\3", ID_RE.sub(r"\1********\3", text))


class RedactPersonalDataFilter(logging.Filter):
    """Masks 18-digit ID numbers and mobile numbers in log records (no personal data in logs)."""

    def filter(self, record):
        msg = record.getMessage()
        redacted = redact_text(msg)
        if redacted != msg:
            record.msg, record.args = redacted, None
        return True
