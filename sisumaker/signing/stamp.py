"""The visible signature stamp: a QR code of the verification URL plus four lines of text.

Rules enforced here:
- The stamp shows the signer's name, position (prefixed "a.n." / "Plt." / "Plh." when acting),
  the signing time in WIB (Asia/Jakarta, independent of the worker's TZ), and the short
  verification code; the QR encodes the verification URL (`.../v/<token>`).
- Values are passed as interpolation parameters, never spliced into the template, so a "%" in a
  name cannot break the stamp; the template itself escapes literal percent signs as "%%".
- The time uses our own `%(waktu)s` parameter: pyHanko always overwrites `%(ts)s` with the
  system time in the process's local time zone.
"""
from __future__ import annotations

import datetime as dt
import enum
import textwrap
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import QRPosition, QRStampStyle

WIB = ZoneInfo("Asia/Jakarta")
STAMP_TEXT = (
    "Ditandatangani secara elektronik oleh:\n"
    "%(signer)s\n"
    "%(position)s\n"
    "%(waktu)s\n"
    "Kode verifikasi: %(code)s"
)
FONT_SIZE = 7
INNSEP = 3
PARAF_TEXT = "Paraf elektronik:\n%(signer)s\n%(waktu)s\nKode: %(code)s"


class Acting(str, enum.Enum):
    """How an official signs for a position that is not (only) their own."""

    AN = "a.n."   # atas nama: on behalf of a superior
    PLT = "Plt."  # pelaksana tugas: acting holder of a vacant position
    PLH = "Plh."  # pelaksana harian: day-to-day stand-in for an absent holder


@dataclass(frozen=True)
class StampSpec:
    """Where and what to stamp.

    `page` is 0-based (negative counts from the end: -1 = last page); `box` is (x1, y1, x2, y2) in
    PDF points from the page's lower-left corner (at least 120 x 40; about 260 x 80 reads and
    scans well: the QR is as tall as the box, the text wraps beside it); `url` is the absolute verification URL encoded
    in the QR; `position_label` is already prefixed (see `position_label`); `code` is the short
    verification code printed under the name. `paraf` selects the compact reviewer layout.
    """

    page: int
    box: tuple[int, int, int, int]
    url: str
    signer_name: str
    position_label: str
    code: str
    paraf: bool = False

    def __post_init__(self) -> None:
        x1, y1, x2, y2 = self.box
        if x2 - x1 < 120 or y2 - y1 < 40:
            raise ValueError("Kotak cap tanda tangan terlalu kecil (minimal 120 x 40 poin).")
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("URL verifikasi harus berupa alamat http(s) lengkap.")


def position_label(position_title: str, acting: Acting | None = None,
                   on_behalf_of: str | None = None) -> str:
    """Build the position line(s) of the stamp.

    Rule: "a.n." needs the superior's position (`on_behalf_of`) and is written on two lines
    ("a.n. Bupati Contoh" / "Sekretaris Daerah"); "Plt." and "Plh." prefix the position held.
    """
    title = " ".join(position_title.split())
    if acting is Acting.AN:
        if not on_behalf_of:
            raise ValueError("Penandatanganan a.n. memerlukan jabatan yang diwakili.")
        return f"a.n. {' '.join(on_behalf_of.split())}\n{title}"
    if acting in (Acting.PLT, Acting.PLH):
        return f"{acting.value} {title}"
    return title


def wib_time(moment: dt.datetime | None = None) -> str:
    """Format a moment as "26-11-2026 10:15 WIB" (Asia/Jakarta, UTC+7, no DST)."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")


def stamp_style(spec: StampSpec, *, font_size: int = FONT_SIZE) -> QRStampStyle:
    """pyHanko QR stamp style for `spec`: QR left of the text, thin border, no background."""
    return QRStampStyle(
        stamp_text=PARAF_TEXT if spec.paraf else STAMP_TEXT,
        text_box_style=TextBoxStyle(font_size=font_size, leading=font_size + 2),
        qr_position=QRPosition.LEFT_OF_TEXT,
        border_width=1,
        background=None,
        innsep=INNSEP,
    )


def line_chars(spec: StampSpec, font_size: int = FONT_SIZE) -> int:
    """How many Courier characters fit beside the QR code (which is as tall as the box)."""
    x1, y1, x2, y2 = spec.box
    room = (x2 - x1) - (y2 - y1) - 4 * INNSEP
    return max(20, int(room / (0.6 * font_size)))


def text_params(spec: StampSpec, moment: dt.datetime | None = None,
                font_size: int = FONT_SIZE) -> dict[str, str]:
    """Interpolation values for the stamp template (`url` is consumed by the QR itself).

    Rule: long names and positions are wrapped to the width beside the QR code, so the stamp is
    not shrunk as a whole (a shrunken QR stops scanning).
    """
    width = line_chars(spec, font_size)
    return {
        "url": spec.url,
        "signer": _wrap(spec.signer_name, width),
        "position": "\n".join(_wrap(line, width) for line in spec.position_label.strip().splitlines()),
        "waktu": wib_time(moment),  # not "ts": pyHanko overwrites that in local TZ
        "code": " ".join(spec.code.split()),
    }


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(" ".join(text.split()), width=width)) or "-"
