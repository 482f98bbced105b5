"""Product reviews (购物评价): one per order line of a completed order, one merchant reply."""

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.aftersales.errors import ReviewErrorCode as Code
from apps.aftersales.models import Review, ReviewPhoto
from apps.aftersales.services.photos import photos_clean, photos_store
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.validators import model_fields_validate
from apps.orders.models import Order, OrderLine
from apps.stores.models import StoreMember
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores

MODERATE_PERMISSION = "aftersales.moderate_review"
MAX_TEXT = 500


def _refuse(message: str, code: str, *, field: str | None = None, status: int | None = None):
    return ApplicationError(
        message, code=code, fields={field: [message]} if field else None, status_code=status
    )


def _checked_rating(rating) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise _refuse(_("请选择 1 到 5 星的评分。"), Code.RATING_INVALID, field="rating")
    return rating


@transaction.atomic
def review_create(
    *,
    buyer: User,
    order_line: OrderLine,
    rating: int,
    text: str = "",
    photos: Sequence[UploadedFile] = (),
) -> Review:
    """The buyer of a completed order rates one of its lines (once)."""
    rating = _checked_rating(rating)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        message = _("评价内容不能超过 %(n)d 字。") % {"n": MAX_TEXT}
        raise _refuse(message, Code.RATING_INVALID, field="text")
    model_fields_validate(Review, text=text)
    cleaned_photos = photos_clean(photos, code=Code.TOO_MANY_PHOTOS)
    # The line row lock turns a double submit into "already reviewed", not an IntegrityError.
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order", "product")
        .filter(pk=order_line.pk)
        .first()
    )
    if line is None or line.order.buyer_id != buyer.pk:
        raise NotFoundError(_("订单商品不存在。"), code=Code.NOT_FOUND)
    if line.order.status != Order.Status.COMPLETED:
        raise _refuse(_("确认收货、订单完成后才能评价。"), Code.ORDER_NOT_COMPLETED, status=409)
    if line.product is None:
        raise _refuse(_("该商品已下架删除，无法评价。"), Code.NOT_ALLOWED, status=409)
    if Review.objects.filter(order_line=line).exists():
        raise _refuse(_("这件商品已经评价过了。"), Code.ALREADY_REVIEWED, status=409)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                product=line.product,
                store_id=line.order.store_id,
                buyer=buyer,
                rating=rating,
                text=text,
            )
    except IntegrityError:
        raise _refuse(_("这件商品已经评价过了。"), Code.ALREADY_REVIEWED, status=409) from None
    photos_store(ReviewPhoto, cleaned_photos, review=review)
    url = reverse("admin:aftersales_review_change", args=[review.pk])
    for member in StoreMember.objects.filter(store_id=review.store_id).select_related("user"):
        notification_send(
            user=member.user,
            title=_("「%(title)s」收到 %(n)d 星评价") % {"title": line.title, "n": rating},
            body=text[:100],
            url=url,
            send_email=False,
        )
    return review


@transaction.atomic
def review_reply(*, review: Review, actor: User, text: str) -> Review:
    """The merchant answers a review, once; the reply is public."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("buyer", "product")
        .get(pk=review.pk)
    )
    if not (
        actor.is_authenticated
        and (user_can_manage_all_stores(actor) or review.store_id in store_ids_for_user(actor))
    ):
        raise NotFoundError(_("评价不存在。"), code=Code.NOT_FOUND)
    text = (text or "").strip()
    if not text:
        raise _refuse(_("请填写回复内容。"), Code.REPLY_REQUIRED, field="text")
    if len(text) > MAX_TEXT:
        message = _("回复不能超过 %(n)d 字。") % {"n": MAX_TEXT}
        raise _refuse(message, Code.REPLY_REQUIRED, field="text")
    if review.has_reply:
        raise _refuse(_("每条评价只能回复一次。"), Code.ALREADY_REPLIED, status=409)
    review.reply_text = text
    review.replied_at = timezone.now()
    review.replied_by = actor
    review.save(update_fields=["reply_text", "replied_at", "replied_by", "updated_at"])
    notification_send(
        user=review.buyer,
        title=_("商家回复了您对「%(title)s」的评价") % {"title": review.product.title},
        body=text[:100],
        url=reverse("aftersales:product_reviews", kwargs={"pk": review.product_id}),
        send_email=False,
    )
    return review


@transaction.atomic
def review_set_visible(*, review: Review, actor: User, is_visible: bool) -> Review:
    """Platform staff hide an abusive review (or show it again); it then leaves the average."""
    if not actor.has_perm(MODERATE_PERMISSION):
        raise _refuse(_("只有平台运营可以管理评价显示。"), Code.NOT_ALLOWED, status=403)
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_visible != is_visible:
        review.is_visible = is_visible
        review.save(update_fields=["is_visible", "updated_at"])
    return review


@transaction.atomic
def review_photo_add(*, review: Review, actor: User, upload: UploadedFile) -> ReviewPhoto:
    """The buyer adds one more picture to their review (up to the photo limit)."""
    review = Review.objects.select_for_update().filter(pk=review.pk).first()
    if review is None or review.buyer_id != actor.pk:
        raise NotFoundError(_("评价不存在。"), code=Code.NOT_FOUND)
    cleaned = photos_clean(
        [upload], already=review.photos.count(), code=Code.TOO_MANY_PHOTOS, field="image"
    )
    return photos_store(ReviewPhoto, cleaned, review=review)[0]
