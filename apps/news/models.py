"""County news (资讯): articles that platform staff publish on the storefront."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel


class Article(TimeStampedModel):
    class Category(models.TextChoices):
        POLICY = "policy", _("政策通知")
        MARKET = "market", _("市场评论")
        STORY = "story", _("特产故事")
        TRAINING = "training", _("培训公告")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    title = models.CharField(_("标题"), max_length=80)
    category = models.CharField(_("栏目"), max_length=20, choices=Category.choices)
    summary = models.CharField(_("摘要"), max_length=200, blank=True)
    cover = models.ImageField(_("封面图"), upload_to="news/%Y/%m/", blank=True)
    # Stored already sanitised (apps.news.sanitize, by services.article_save): pages print it.
    body = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        _("发布时间"),
        null=True,
        blank=True,
        help_text=_("留空则在发布时取当前时间；晚于现在则到时才显示"),
    )
    featured_products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("推荐商品")
    )
    featured_stores = models.ManyToManyField(
        "stores.Store", blank=True, related_name="+", verbose_name=_("推荐店铺")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("编辑"),
    )

    class Meta:
        verbose_name = _("资讯")
        verbose_name_plural = _("资讯")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "category", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("news:article", kwargs={"pk": self.pk})
