"""Back office of news (资讯): platform staff write and publish articles. The body is sanitised
by services.article_save; the cover is validated like a product image."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.catalog.models import Product
from apps.core.errors import ApplicationError
from apps.core.images import ALLOWED_FORMATS
from apps.news.models import Article
from apps.news.sanitize import html_sanitize
from apps.news.services import article_cover_clean, article_save

IMAGE_ACCEPT = ",".join(f"image/{fmt.lower()}" for fmt in sorted(ALLOWED_FORMATS))


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = [
            "title",
            "category",
            "summary",
            "cover",
            "body",
            "status",
            "published_at",
            "featured_products",
            "featured_stores",
        ]
        widgets = {
            "cover": forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
            "body": forms.Textarea(attrs={"rows": 20}),
        }
        help_texts = {
            "body": _(
                "可用网页标记：段落、标题、加粗、列表、表格、链接、图片。"
                "脚本、样式和事件属性会被去掉。"
            )
        }

    def clean_cover(self):
        upload = self.cleaned_data.get("cover")
        if upload and hasattr(upload, "content_type"):
            try:
                return article_cover_clean(upload)
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return upload

    def clean_body(self):
        body = html_sanitize(self.cleaned_data.get("body", ""))
        if not body:
            raise forms.ValidationError(_("正文不能为空（脚本等不安全内容会被去掉）。"))
        return body


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ["title", "category", "status", "published_at", "author", "cover_preview"]
    list_filter = ["category", "status"]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    filter_horizontal = ["featured_products", "featured_stores"]
    list_select_related = ["author"]

    @admin.display(description=_("封面"))
    def cover_preview(self, obj: Article) -> str:
        if not obj.cover:
            return "—"
        return format_html('<img src="{}" alt="" height="40">', obj.cover.url)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "featured_products":
            kwargs["queryset"] = Product.objects.select_related("store").order_by("title")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        article_save(article=obj, actor=request.user)
