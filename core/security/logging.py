import logging
import re

ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


class RedactPersonalDataFilter(logging.Filter):
    """Masks 18-digit ID numbers and mobile numbers in log records (no personal data in logs)."""

    def filter(self, record):
        msg = record.getMessage()
        redacted = PHONE_RE.sub(r"\1****\3", ID_RE.sub(r"\1********\3", msg))
        if redacted != msg:
            record.msg, record.args = redacted, None
        return True
