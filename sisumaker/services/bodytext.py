"""The letter body: a small plain-text markup, never HTML, turned into the document blocks.

    blank line        new paragraph
    **tebal**         bold          _miring_   italic
    1. butir          numbered list (consecutive lines)
    | a | b |         table row; a line of dashes under the first row makes it a header

Anything else is literal text: angle brackets, script tags and entities stay visible characters, so a body can
never inject markup into the page or the PDF.
"""
from __future__ import annotations

import re

from sisumaker.documents import NumberedList, Paragraph, Run, Table
from sisumaker.services.errors import ValidationError

MAX_BODY = 20_000
# italic only between word boundaries: nama_file_surat.pdf and e-mail addresses keep their underscores
_INLINE = re.compile(r"(\*\*.+?\*\*|(?<!\w)_[^_\s][^_]*?_(?!\w))")
_ITEM = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}.*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Normalise line ends and drop control characters (they break PDFs and terminals)."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


def runs(text: str) -> list[Run]:
    out: list[Run] = []
    for i, part in enumerate(_INLINE.split(text)):  # odd parts are the markup matches, even parts plain text
        if not part:
            continue
        if i % 2 and part.startswith("**"):
            out.append(Run(part[2:-2], bold=True))
        elif i % 2:
            out.append(Run(part[1:-1], italic=True))
        else:
            out.append(Run(part))
    return out or [Run("")]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_body(text: str) -> list:
    """Rule: the body is plain text with the markup above; it is parsed into blocks, never trusted as HTML."""
    text = clean(text)
    if len(text) > MAX_BODY:
        raise ValidationError({"body": f"Isi surat paling banyak {MAX_BODY:,} karakter.".replace(",", ".")})
    blocks: list = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln for ln in chunk.split("\n") if ln.strip()]
        if not lines:
            continue
        if all(ln.strip().startswith("|") for ln in lines):
            header = len(lines) > 1 and bool(_SEPARATOR.match(lines[1]))
            rows = [_cells(ln) for i, ln in enumerate(lines) if not (header and i == 1)]
            width = max(len(r) for r in rows)
            blocks.append(Table([r + [""] * (width - len(r)) for r in rows], header=header))
        elif all(_ITEM.match(ln) for ln in lines):
            blocks.append(NumberedList([runs(_ITEM.match(ln).group(1)) for ln in lines]))
        else:
            blocks.append(Paragraph(runs(" ".join(ln.strip() for ln in lines))))
    return blocks


def lines(text: str) -> list[str]:
    """A textarea of one item per line (addressees, tembusan, menimbang ...), cleaned."""
    return [ln.strip() for ln in clean(text).split("\n") if ln.strip()]
