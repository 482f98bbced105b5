"""Buyer photos (after-sale proof, review pictures): checked and re-encoded before any write."""

import uuid
from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.images import image_clean, thumbnail_bytes

MAX_PHOTOS = 6

CleanPhoto = tuple[bytes, tuple[int, int]]


def photos_clean(
    uploads: Sequence[UploadedFile | ContentFile], *, already: int = 0, code: str, field="photos"
) -> list[CleanPhoto]:
    """Validate every upload (count, format, size) in memory; nothing is written yet."""
    uploads = [upload for upload in uploads if upload]
    if already + len(uploads) > MAX_PHOTOS:
        message = _("最多上传 %(n)d 张图片。") % {"n": MAX_PHOTOS}
        raise ApplicationError(message, code=code, fields={field: [message]})
    return [image_clean(upload, field=field) for upload in uploads]


def photos_store(model: type[models.Model], photos: list[CleanPhoto], **parent) -> list:
    """Write cleaned photos and their thumbnails; a failed save removes what it wrote."""
    stored = []
    for jpeg, (width, height) in photos:
        name = f"{uuid.uuid4().hex}.jpg"
        photo = model(width=width, height=height, **parent)
        photo.image.save(name, ContentFile(jpeg), save=False)
        photo.thumbnail.save(name, ContentFile(thumbnail_bytes(jpeg)), save=False)
        try:
            photo.save()
        except Exception:
            for path in (photo.image.name, photo.thumbnail.name):
                photo.image.storage.delete(path)
            raise
        stored.append(photo)
    return stored
