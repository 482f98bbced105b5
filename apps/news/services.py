"""Writes of news: an article is saved with its body sanitised, its summary and publish time
filled in. Staff only (the admin is the only writer)."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.images import image_clean
from apps.news.errors import NewsErrorCode
from apps.news.models import Article
from apps.news.sanitize import html_sanitize, html_to_text

SUMMARY_LENGTH = 120


def article_cover_clean(upload) -> ContentFile:
    """A cover upload checked like a product image (apps.core.images: format, size, pixels)
    and re-encoded as JPEG without metadata."""
    jpeg, _size = image_clean(upload, field="cover")
    return ContentFile(jpeg, name="cover.jpg")


@transaction.atomic
def article_save(*, article: Article, actor) -> Article:
    """Sanitise the body (scripts, event handlers, javascript: links are gone before it is
    stored), refuse a body with nothing left, fill the summary from the text when empty and
    the publish time when publishing without one, then save."""
    article.body = html_sanitize(article.body)
    text = html_to_text(article.body)
    if not text and "<img" not in article.body:
        raise ApplicationError(
            _("正文不能为空（脚本等不安全内容会被去掉）。"),
            code=NewsErrorCode.BODY_EMPTY,
            fields={"body": [_("正文不能为空。")]},
        )
    article.summary = (article.summary or "").strip() or text[:SUMMARY_LENGTH]
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    if article.author_id is None and getattr(actor, "pk", None):
        article.author = actor
    article.full_clean(exclude=["cover", "featured_products", "featured_stores"])
    article.save()
    return article
