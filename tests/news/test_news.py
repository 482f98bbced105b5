"""County news (资讯): sanitised bodies, validated covers, staff-only admin, storefront pages."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.catalog.models import Product
from apps.core.errors import ApplicationError
from apps.news.models import Article
from apps.news.sanitize import html_sanitize
from apps.news.services import article_save
from apps.stores.models import Store
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def publish(title="春耕补贴政策解读", category=Article.Category.POLICY, body="<p>正文</p>", **kw):
    article = Article(title=title, category=category, body=body, status="published", **kw)
    return article_save(article=article, actor=None)


def png_upload(name="cover.png", size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 10)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>好<script>alert(1)</script>米</p>", "<p>好米</p>"),
        ('<p onclick="steal()">点</p>', "<p>点</p>"),
        ('<a href="javascript:alert(1)">链</a>', '<a rel="noopener noreferrer nofollow">链</a>'),
        (
            '<a href="https://gov.cn/x">政策</a>',
            '<a href="https://gov.cn/x" rel="noopener noreferrer nofollow">政策</a>',
        ),
        ('<img src="x.jpg" onerror="alert(1)">', '<img src="x.jpg">'),
        ('<iframe src="https://evil.example"></iframe><p>留</p>', "<p>留</p>"),
        ('<p style="position:fixed">样</p><style>p{}</style>', "<p>样</p>"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT><h2>标</h2>", "<h2>标</h2>"),
    ],
)
def test_html_sanitize(dirty, clean):
    assert html_sanitize(dirty) == clean


def test_article_save_stores_the_sanitised_body_and_fills_summary_and_time():
    article = publish(body="<p>今年<b>补贴</b>提高。</p><script>document.cookie</script>")

    article.refresh_from_db()
    assert article.body == "<p>今年<b>补贴</b>提高。</p>"
    assert article.summary == "今年补贴提高。"
    assert article.published_at is not None


def test_article_with_only_script_is_refused_and_not_saved():
    with pytest.raises(ApplicationError) as refused:
        publish(body="<script>alert(1)</script>")

    assert refused.value.fields == {"body": ["正文不能为空。"]}
    assert Article.objects.count() == 0


def test_news_list_by_category_and_pagination(client, django_assert_max_num_queries):
    publish(title="春耕补贴政策解读")
    publish(title="本周蔬菜价格回落", category=Article.Category.MARKET)
    Article.objects.create(title="未发布的草稿", category="policy", body="<p>x</p>")
    publish(title="明天才发布", published_at=timezone.now() + timedelta(days=1))
    for index in range(13):
        publish(title=f"电商培训第{index}期", category=Article.Category.TRAINING)

    with django_assert_max_num_queries(8):
        everything = client.get(reverse("news:list")).content.decode()
    policy = client.get(reverse("news:list"), {"category": "policy"}).content.decode()
    training_2 = client.get(reverse("news:list"), {"category": "training", "page": 2})

    assert "县域资讯" in everything
    assert "未发布的草稿" not in everything
    assert "明天才发布" not in everything
    assert "春耕补贴政策解读" in policy
    assert "本周蔬菜价格回落" not in policy
    assert training_2.content.decode().count('class="news-item"') == 1  # 13 = 12 + 1
    assert client.get(reverse("news:list"), {"category": "nope"}).status_code == 404


def test_article_page_shows_body_and_featured_products_and_stores(
    client, django_assert_max_num_queries
):
    store = StoreFactory(name="五常稻香合作社", slug="daoxiang")
    closed = StoreFactory(name="已关闭农场", slug="closed", status=Store.Status.CLOSED)
    rice = ProductFactory(store=store, title="稻花香大米")
    off_sale = ProductFactory(store=store, title="下架的米", status=Product.Status.OFF_SALE)
    article = publish(
        title="稻花香的故事",
        category=Article.Category.STORY,
        body='<h2>从田间到餐桌</h2><p onmouseover="x()">好米</p>',
    )
    article.featured_products.set([rice, off_sale])
    article.featured_stores.set([store, closed])

    with django_assert_max_num_queries(12):
        response = client.get(article.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>从田间到餐桌</h2><p>好米</p>" in page
    assert "onmouseover" not in page
    assert "稻花香大米" in page
    assert "下架的米" not in page
    assert "五常稻香合作社" in page
    assert "已关闭农场" not in page
    assert reverse("news:list") in page  # the nav/footer link


def test_draft_and_future_articles_are_not_found(client):
    draft = Article.objects.create(title="草稿", category="policy", body="<p>x</p>")
    future = publish(title="未来", published_at=timezone.now() + timedelta(hours=1))

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404


def test_storefront_nav_links_to_news(client):
    assert reverse("news:list") in client.get(reverse("catalog:home")).content.decode()


def admin_add(client, **data):
    fields = {
        "title": "电商直播培训通知",
        "category": "training",
        "summary": "",
        "body": '<p>报名</p><script>alert("x")</script>',
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
    }
    fields.update(data)
    return client.post(reverse("admin:news_article_add"), fields)


def test_staff_publishes_in_admin_with_sanitised_body_and_cleaned_cover(client, staff):
    client.force_login(staff)

    response = admin_add(client, cover=png_upload())

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert article.body == "<p>报名</p>"
    assert article.author == staff
    assert article.cover.name.endswith(".jpg")  # re-encoded without metadata
    with article.cover.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"


def test_admin_refuses_a_cover_that_is_not_an_image(client, staff):
    client.force_login(staff)
    fake = SimpleUploadedFile("cover.png", b"<script>not an image</script>", "image/png")

    response = admin_add(client, cover=fake)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cover"]
    assert Article.objects.count() == 0


def test_cover_is_checked_like_a_product_image(settings):
    from apps.news.services import article_cover_clean

    settings.IMAGE_UPLOAD_MAX_PIXELS = 100
    with pytest.raises(ApplicationError) as refused:
        article_cover_clean(png_upload(size=(20, 20)))

    assert refused.value.code == "image_too_many_pixels"
    assert refused.value.fields == {"cover": ["图片像素过多。"]}


def test_admin_refuses_script_only_body(client, staff):
    client.force_login(staff)

    response = admin_add(client, body="<script>alert(1)</script>")

    assert response.status_code == 200
    assert "正文不能为空" in response.content.decode()
    assert Article.objects.count() == 0


def test_merchants_cannot_use_the_news_admin(client, merchant_a):
    merchant_a.is_staff = True
    merchant_a.save(update_fields=["is_staff"])
    client.force_login(merchant_a)

    assert client.get(reverse("admin:news_article_changelist")).status_code == 403
    assert admin_add(client).status_code == 403
    assert Article.objects.count() == 0
