from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def fingerprint(values: dict[str, Any]) -> str:
    """A stable hash of a record's fields: equal fingerprints mean nothing to update."""
    text = json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
