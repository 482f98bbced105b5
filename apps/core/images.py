"""Untrusted image uploads: check with Pillow, strip metadata by re-encoding, make thumbnails.

Generic so every app (store licences, banners, product images) validates uploads the same way;
the apps decide where the bytes are stored.
"""

import io
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.core.errors import ApplicationError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


class ImageErrorCode(StrEnum):
    # Same values as the codes the catalog API already returns for product images.
    IMAGE_INVALID = "image_invalid"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_TOO_MANY_PIXELS = "image_too_many_pixels"


def _fail(message: str, code: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def image_clean(
    upload: UploadedFile | ContentFile, *, field: str = "image"
) -> tuple[bytes, tuple[int, int]]:
    """Validate an upload and return it re-encoded as JPEG without metadata, with its size.

    Refuses non-images, files over IMAGE_UPLOAD_MAX_BYTES and images over
    IMAGE_UPLOAD_MAX_PIXELS (decompression bombs) before decoding the pixels. Nothing is
    written anywhere: the caller stores the returned bytes only once everything else is valid.
    `field` names the form/API field in the raised ApplicationError.
    """
    if upload.size is not None and upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        limit_mb = settings.IMAGE_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise _fail(
            _("图片不能超过 %(mb)s MB。") % {"mb": limit_mb}, ImageErrorCode.IMAGE_TOO_LARGE, field
        )
    upload.seek(0)
    raw = upload.read(settings.IMAGE_UPLOAD_MAX_BYTES + 1)
    if len(raw) > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise _fail(_("图片太大。"), ImageErrorCode.IMAGE_TOO_LARGE, field)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise _fail(
                    _("仅支持 JPEG、PNG、WebP、GIF 图片。"), ImageErrorCode.IMAGE_INVALID, field
                )
            if probe.width * probe.height > settings.IMAGE_UPLOAD_MAX_PIXELS:
                raise _fail(_("图片像素过多。"), ImageErrorCode.IMAGE_TOO_MANY_PIXELS, field)
            probe.verify()
        with Image.open(io.BytesIO(raw)) as img:
            img = ImageOps.exif_transpose(img)  # keep the orientation, drop the EXIF
            img = img.convert("RGB")
            out = io.BytesIO()
            img.save(out, format="JPEG", quality=88, optimize=True)
            return out.getvalue(), img.size
    except ApplicationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _fail(_("文件不是有效的图片。"), ImageErrorCode.IMAGE_INVALID, field) from None


def thumbnail_bytes(jpeg: bytes) -> bytes:
    """A THUMBNAIL_SIZE crop of an already cleaned JPEG (made once, at upload)."""
    with Image.open(io.BytesIO(jpeg)) as img:
        thumb = ImageOps.fit(img, settings.THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=82, optimize=True)
        return out.getvalue()


def image_clean_for_form(upload: UploadedFile | ContentFile, *, field: str = "image") -> bytes:
    """image_clean for a form's clean_<field>: the refusal becomes the field's error."""
    try:
        return image_clean(upload, field=field)[0]
    except ApplicationError as exc:
        raise ValidationError(exc.message, code=exc.code) from None
