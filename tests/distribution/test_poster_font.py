"""The poster draws Chinese with a real CJK font (WenQuanYi Micro Hei, fonts-wqy-microhei), and
falls back to pinyin in Pillow's default font, clearly, when no CJK font is installed."""

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFont

from apps.distribution import poster

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
needs_wqy = pytest.mark.skipif(
    not Path(WQY).is_file(), reason="fonts-wqy-microhei is not installed (apt-get install it)"
)


@pytest.fixture(autouse=True)
def fresh_font_cache():
    poster.font_path.cache_clear()
    poster._font.cache_clear()
    yield
    poster.font_path.cache_clear()
    poster._font.cache_clear()


def _png(title: str) -> Image.Image:
    data = poster.poster_png(
        title=title, subtitle="", price="¥10.00", code="ABC123", url="http://x/", photo_path=None
    )
    return Image.open(io.BytesIO(data)).convert("RGB")


def _title_area(image: Image.Image) -> Image.Image:
    top = poster.PHOTO_HEIGHT + 30
    return image.crop((40, top, poster.WIDTH - 40, top + 60))


@needs_wqy
def test_the_poster_is_drawn_with_wenquanyi_micro_hei(settings):
    settings.POSTER_FONT_PATH = ""

    assert poster.font_path() == WQY
    font = poster._font(44)
    assert isinstance(font, ImageFont.FreeTypeFont)
    assert font.path == WQY
    assert "WenQuanYi" in font.getname()[0]
    # Chinese stays Chinese (no pinyin) and each character has its own glyph, not a tofu box.
    assert poster._text("五常大米") == "五常大米"
    assert font.getmask("大").getbbox() is not None
    assert bytes(font.getmask("大")) != bytes(font.getmask("米"))


@needs_wqy
def test_the_title_area_shows_the_chinese_title(settings):
    settings.POSTER_FONT_PATH = ""
    rice, millet = _png("五常大米"), _png("五常小米")

    # Ink in the title area, and two titles differing in one character differ there.
    assert _title_area(rice).getextrema() != ((255, 255),) * 3
    assert ImageChops.difference(_title_area(rice), _title_area(millet)).getbbox() is not None


@needs_wqy
def test_a_configured_font_path_comes_first(settings, tmp_path):
    copy = tmp_path / "poster-font.ttc"
    shutil.copyfile(WQY, copy)
    settings.POSTER_FONT_PATH = str(copy)

    assert poster.font_path() == str(copy)
    assert poster._font(30).path == str(copy)


def test_without_any_cjk_font_it_draws_pinyin_and_says_so(settings, monkeypatch, tmp_path, caplog):
    settings.POSTER_FONT_PATH = str(tmp_path / "missing.ttc")
    monkeypatch.setattr(poster, "FONT_PATHS", [str(tmp_path / "none.ttf")])
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-list to ask

    assert poster.font_path() is None
    assert "fonts-wqy-microhei" in caplog.text
    assert not isinstance(getattr(poster._font(30), "path", None), str)  # Pillow's built-in font
    assert poster._text("五常大米") == "wu chang da mi"
    assert _png("五常大米").size == (poster.WIDTH, poster.HEIGHT)


@needs_wqy
def test_fontconfig_finds_a_cjk_font_when_the_paths_miss(settings, monkeypatch, tmp_path):
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed")
    settings.POSTER_FONT_PATH = ""
    monkeypatch.setattr(poster, "FONT_PATHS", [str(tmp_path / "none.ttf")])

    assert poster.font_path() == WQY
