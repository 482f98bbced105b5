"""Upload fixtures for image and application tests."""

import io
import os
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# A real 统一社会信用代码 layout with a correct check character.
VALID_USCC = "91350100M000100Y43"


def jpeg_with_exif(*, size=(64, 48), color=(200, 120, 40)) -> bytes:
    """A small JPEG that carries EXIF (camera make and a GPS-like comment)."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TianjianTestCam"  # Make
    exif[0x9286] = "secret location"  # UserComment
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def image_upload(name: str = "licence.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_exif(**kwargs), content_type="image/jpeg")


def fake_image_upload(name: str = "licence.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"MZ\x90\x00 definitely not an image", content_type="image/jpeg"
    )


def noisy_png_upload(*, side: int = 400, name: str = "big.png") -> SimpleUploadedFile:
    """A PNG of random pixels: it does not compress, so its size is about side*side*3 bytes."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def media_files(media_root) -> list[str]:
    root = Path(media_root)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def has_exif(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or "exif" in image.info


def _form_initial(form, data: dict) -> None:
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if value is None or hasattr(value, "url") or (value == "" and name.endswith("image")):
            continue
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = str(value)


def admin_form_data(response) -> dict:
    """POST data that re-submits an admin change/add page as it was rendered."""
    data: dict = {}
    _form_initial(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = str(management[name].value())
        # Drop the blank extra forms: their defaults (e.g. a ticked is_active) would count
        # as changes when re-posted without them.
        data[management["TOTAL_FORMS"].html_name] = str(formset.initial_form_count())
        for form in formset.initial_forms:
            _form_initial(form, data)
    return data
