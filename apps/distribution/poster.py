"""The share poster: a PNG a phone can send to a WeChat group or a village shop can print —
product (or store) photo, title, price, the promoter's code and a QR code of the share link.

Chinese text needs a CJK font: WenQuanYi Micro Hei (Debian package `fonts-wqy-microhei`,
installed by the Dockerfile and .ci/run). `font_path` looks, in order, at the setting
`POSTER_FONT_PATH`, the usual paths (the same list the catalog's demo images use), then asks
fontconfig (`fc-list :lang=zh`) for any font covering Chinese. Without one, the text is drawn
in pinyin with Pillow's default font rather than as empty boxes, and a warning is logged once.
"""

import io
import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import qrcode
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont, ImageOps
from pypinyin import lazy_pinyin
from qrcode.constants import ERROR_CORRECT_M

from apps.catalog.demo import FONT_PATHS

WIDTH, HEIGHT = 750, 1200
PHOTO_HEIGHT = 620
GREEN = (46, 125, 50)
DARK = (33, 33, 33)
GREY = (110, 110, 110)
RED = (211, 47, 47)

logger = logging.getLogger(__name__)


def _fontconfig_cjk() -> str | None:
    """The first font fontconfig knows that covers Chinese (None without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())
    # Prefer WenQuanYi Micro Hei when fontconfig lists it under another directory.
    files.sort(key=lambda path: "wqy-microhei" not in path)
    return files[0] if files else None


def font_candidates() -> list[str]:
    configured = getattr(settings, "POSTER_FONT_PATH", "")
    return [*([configured] if configured else []), *FONT_PATHS]


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """The CJK font the poster is drawn with, or None (then: pinyin, default font)."""
    path = next((p for p in font_candidates() if Path(p).is_file()), None) or _fontconfig_cjk()
    if path is None:
        logger.warning(
            "No CJK font for share posters: install fonts-wqy-microhei; drawing pinyin instead."
        )
    return path


@lru_cache(maxsize=16)
def _font(size: int):
    path = font_path()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def _text(text: str) -> str:
    if font_path() or text.isascii():
        return text
    return " ".join(lazy_pinyin(text))


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> str:
    font = _font(size)
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _qr(url: str, size: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=10)
    code.add_data(url)
    code.make(fit=True)
    return (
        code.make_image(fill_color="black", back_color="white")
        .get_image()
        .resize((size, size), Image.Resampling.NEAREST)
        .convert("RGB")
    )


def poster_png(
    *,
    title: str,
    subtitle: str,
    price: str,
    code: str,
    url: str,
    photo_path: str | None,
) -> bytes:
    """Draw the poster and return the PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    if photo_path:
        try:
            with Image.open(photo_path) as photo:
                fitted = ImageOps.fit(photo.convert("RGB"), (WIDTH, PHOTO_HEIGHT))
            image.paste(fitted, (0, 0))
        except OSError:
            photo_path = None
    draw = ImageDraw.Draw(image)
    if not photo_path:
        draw.rectangle((0, 0, WIDTH, PHOTO_HEIGHT), fill=(232, 245, 233))
        draw.text((40, 260), _text("田间 · 县域好物"), font=_font(56), fill=GREEN)
    y = PHOTO_HEIGHT + 30
    draw.text((40, y), _fit(draw, _text(title), 44, WIDTH - 80), font=_font(44), fill=DARK)
    y += 64
    if subtitle:
        draw.text((40, y), _fit(draw, _text(subtitle), 28, WIDTH - 80), font=_font(28), fill=GREY)
    y += 50
    if price:
        draw.text((40, y), price, font=_font(52), fill=RED)
    qr_size = 260
    qr_top = HEIGHT - qr_size - 60
    image.paste(_qr(url, qr_size), (WIDTH - qr_size - 40, qr_top))
    draw.text((40, qr_top + 40), _text("长按识别二维码"), font=_font(34), fill=DARK)
    draw.text((40, qr_top + 100), _text("推广码"), font=_font(28), fill=GREY)
    draw.text((40, qr_top + 140), code, font=_font(56), fill=GREEN)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
