"""Documents rendered by Typst (invoices, credit notes, statements): a template holds the layout,
the caller passes every word and number as JSON, already translated.

One compiler per template and thread, kept: loading the CJK fonts (tens of MB) is most of a cold
compile, so they are read once, not once per document.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

_local = threading.local()


def _compiler(template: Path) -> typst.Compiler:
    key = (str(template), tuple(settings.PDF_FONT_PATHS))
    compilers = getattr(_local, "compilers", None)
    if compilers is None:
        compilers = _local.compilers = {}
    if key not in compilers:
        compilers[key] = typst.Compiler(
            str(template), font_paths=list(key[1]), ignore_system_fonts=True
        )
    return compilers[key]


def render(template: Path, data: dict[str, Any], output_format: str = "pdf") -> bytes:
    """The document as PDF bytes (or the first page as PNG, a preview the tests look at)."""
    rendered = _compiler(template).compile(
        sys_inputs={"data": json.dumps(data, ensure_ascii=False, default=str)},
        format=output_format,
        ppi=110 if output_format == "png" else None,
    )
    return rendered[0] if isinstance(rendered, list) else rendered
