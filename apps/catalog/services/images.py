"""Image uploads: check with Pillow, strip EXIF by re-encoding, make the thumbnail once."""

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.catalog.errors import CatalogErrorCode
from apps.catalog.models import Product, ProductImage
from apps.core.errors import ApplicationError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def _fail(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"image": [message]})


def image_clean(upload: UploadedFile | ContentFile) -> tuple[bytes, tuple[int, int]]:
    """Validate an upload and return it re-encoded as JPEG without metadata, with its size.

    Refuses non-images, files over IMAGE_UPLOAD_MAX_BYTES and images over
    IMAGE_UPLOAD_MAX_PIXELS (decompression bombs) before decoding the pixels.
    """
    if upload.size is not None and upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        limit_mb = settings.IMAGE_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise _fail(
            _("图片不能超过 %(mb)s MB。") % {"mb": limit_mb}, CatalogErrorCode.IMAGE_TOO_LARGE
        )
    upload.seek(0)
    raw = upload.read(settings.IMAGE_UPLOAD_MAX_BYTES + 1)
    if len(raw) > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise _fail(_("图片太大。"), CatalogErrorCode.IMAGE_TOO_LARGE)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise _fail(_("仅支持 JPEG、PNG、WebP、GIF 图片。"), CatalogErrorCode.IMAGE_INVALID)
            if probe.width * probe.height > settings.IMAGE_UPLOAD_MAX_PIXELS:
                raise _fail(_("图片像素过多。"), CatalogErrorCode.IMAGE_TOO_MANY_PIXELS)
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
        raise _fail(_("文件不是有效的图片。"), CatalogErrorCode.IMAGE_INVALID) from None


def thumbnail_bytes(jpeg: bytes) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as img:
        thumb = ImageOps.fit(img, settings.THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=82, optimize=True)
        return out.getvalue()


@transaction.atomic
def product_image_add(
    *, product: Product, upload: UploadedFile | ContentFile, sort_order: int = 0
) -> ProductImage:
    """Store a checked image and its thumbnail; on failure nothing is written to disk."""
    clean, (width, height) = image_clean(upload)
    name = f"{uuid.uuid4().hex}.jpg"
    image = ProductImage(product=product, sort_order=sort_order, width=width, height=height)
    image.image.save(name, ContentFile(clean), save=False)
    image.thumbnail.save(name, ContentFile(thumbnail_bytes(clean)), save=False)
    paths = [image.image.name, image.thumbnail.name]
    storage = image.image.storage
    try:
        image.save()
    except Exception:
        for path in paths:
            storage.delete(path)
        raise
    return image
