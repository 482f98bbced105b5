"""Image uploads: check with Pillow, strip EXIF by re-encoding, make the thumbnail once."""

import uuid

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from apps.catalog.models import Product, ProductImage
from apps.core.images import ALLOWED_FORMATS, image_clean, thumbnail_bytes

__all__ = ["ALLOWED_FORMATS", "image_clean", "product_image_add", "thumbnail_bytes"]


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
