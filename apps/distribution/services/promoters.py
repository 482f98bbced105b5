"""Becoming a promoter and staff decisions about promoters."""

import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.transitions import event_record, transition
from apps.distribution.errors import DistributionErrorCode as Code
from apps.distribution.models import DistributionConfig, Promoter, PromoterGrade
from apps.distribution.selectors import user_paid_spend
from apps.distribution.services.config import config_current

Qualification = DistributionConfig.Qualification
# Unambiguous upper-case letters and digits (no 0/O, 1/I/L): codes are read aloud and typed.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def promoter_code_generate() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def _notify(promoter: Promoter, title: str, body: str = "") -> None:
    notification_send(user=promoter.user, title=title, body=body, url="/distribution/")


def _create(*, user, status: str, source: str, actor, reason: str, **fields) -> Promoter:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                promoter = Promoter.objects.create(
                    user=user, code=promoter_code_generate(), status=status, source=source, **fields
                )
        except IntegrityError:
            if Promoter.objects.filter(user=user).exists():
                raise ApplicationError(
                    _("您已经是推广员或已提交申请。"), code=Code.ALREADY_PROMOTER, status_code=409
                ) from None
            continue  # a code collision: draw another
        break
    else:  # pragma: no cover - 31^8 codes
        raise RuntimeError("could not draw a free promoter code")
    if status == Promoter.Status.ACTIVE:
        promoter.approved_at = promoter.created_at
        promoter.save(update_fields=["approved_at"])
    event_record(
        promoter, kind="created", from_status="", to_status=status, actor=actor, reason=reason
    )
    return promoter


def _ensure_enabled(config: DistributionConfig) -> None:
    if not config.is_enabled:
        raise ApplicationError(_("分销功能未开启。"), code=Code.DISABLED, status_code=409)


@transaction.atomic
def promoter_apply(*, user, real_name: str = "", note: str = "") -> Promoter:
    """A user asks to become a promoter; what happens depends on the configured mode:
    everyone → active at once; application → pending staff review; spend → active once the
    user's paid spend reaches the threshold; appointed → refused (staff appoint)."""
    config = config_current()
    _ensure_enabled(config)
    existing = Promoter.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.status != Promoter.Status.REJECTED:
        raise ApplicationError(
            _("您已经是推广员或已提交申请（当前状态：%(status)s）。")
            % {"status": existing.get_status_display()},
            code=Code.ALREADY_PROMOTER,
            status_code=409,
        )
    mode = config.qualification
    if mode == Qualification.APPOINTED:
        raise ApplicationError(
            _("推广员由平台指定，暂不接受申请。"), code=Code.APPLICATION_CLOSED, status_code=403
        )
    if mode == Qualification.SPEND:
        spent = user_paid_spend(user=user)
        if spent < config.spend_threshold:
            raise ApplicationError(
                _("累计消费满 ¥%(threshold)s 即可成为推广员，您已消费 ¥%(spent)s。")
                % {"threshold": config.spend_threshold, "spent": spent},
                code=Code.NOT_QUALIFIED,
                status_code=403,
            )
    to_status = (
        Promoter.Status.PENDING if mode == Qualification.APPLICATION else Promoter.Status.ACTIVE
    )
    source = {
        Qualification.EVERYONE: Promoter.Source.EVERYONE,
        Qualification.APPLICATION: Promoter.Source.APPLICATION,
        Qualification.SPEND: Promoter.Source.SPEND,
    }[mode]
    if existing is not None:  # re-applying after a rejection
        existing.real_name, existing.note, existing.source = real_name[:30], note[:200], source
        transition(
            existing,
            to_status,
            actor=user,
            reason=_("重新申请"),
            fields=["real_name", "note", "source"],
        )
        promoter = existing
    else:
        promoter = _create(
            user=user,
            status=to_status,
            source=source,
            actor=user,
            reason=_("申请成为推广员"),
            real_name=real_name[:30],
            note=note[:200],
        )
    if promoter.status == Promoter.Status.ACTIVE:
        _notify(
            promoter, _("您已成为推广员"), _("您的推广码是 %(code)s。") % {"code": promoter.code}
        )
    return promoter


@transaction.atomic
def promoter_appoint(*, user, actor, grade: PromoterGrade | None = None) -> Promoter:
    """Staff make a user a promoter (any mode); a pending, rejected or disabled one is activated."""
    existing = Promoter.objects.select_for_update().filter(user=user).first()
    if existing is None:
        promoter = _create(
            user=user,
            status=Promoter.Status.ACTIVE,
            source=Promoter.Source.APPOINTED,
            actor=actor,
            reason=_("平台指定"),
            grade=grade,
        )
    elif existing.status == Promoter.Status.ACTIVE:
        return existing
    else:
        existing.grade = grade or existing.grade
        transition(
            existing, Promoter.Status.ACTIVE, actor=actor, reason=_("平台指定"), fields=["grade"]
        )
        promoter = existing
    _notify(promoter, _("您已成为推广员"), _("您的推广码是 %(code)s。") % {"code": promoter.code})
    return promoter


def _lock(promoter: Promoter) -> Promoter:
    return Promoter.objects.select_for_update().select_related("user").get(pk=promoter.pk)


@transaction.atomic
def promoter_approve(*, promoter: Promoter, actor) -> Promoter:
    promoter = _lock(promoter)
    transition(promoter, Promoter.Status.ACTIVE, actor=actor, reason=_("审核通过"))
    _notify(promoter, _("推广员申请已通过"), _("您的推广码是 %(code)s。") % {"code": promoter.code})
    return promoter


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("请填写原因。"), code=Code.REASON_REQUIRED, fields={"reason": _("请填写原因。")}
        )
    return reason


@transaction.atomic
def promoter_reject(*, promoter: Promoter, actor, reason: str) -> Promoter:
    reason = _reason_required(reason)
    promoter = _lock(promoter)
    transition(promoter, Promoter.Status.REJECTED, actor=actor, reason=reason)
    _notify(promoter, _("推广员申请未通过"), reason)
    return promoter


@transaction.atomic
def promoter_disable(*, promoter: Promoter, actor, reason: str) -> Promoter:
    """A disabled promoter earns nothing on new orders and cannot be bound to; what was
    already earned stays theirs."""
    reason = _reason_required(reason)
    promoter = _lock(promoter)
    transition(promoter, Promoter.Status.DISABLED, actor=actor, reason=reason)
    _notify(promoter, _("推广员资格已停用"), reason)
    return promoter


@transaction.atomic
def promoter_enable(*, promoter: Promoter, actor) -> Promoter:
    promoter = _lock(promoter)
    transition(promoter, Promoter.Status.ACTIVE, actor=actor, reason=_("恢复推广员资格"))
    _notify(promoter, _("推广员资格已恢复"))
    return promoter


@transaction.atomic
def promoter_set_grade(*, promoter: Promoter, grade: PromoterGrade | None, actor) -> Promoter:
    promoter = _lock(promoter)
    old = promoter.grade
    promoter.grade = grade
    promoter.save(update_fields=["grade", "updated_at"])
    event_record(
        promoter,
        kind="grade",
        actor=actor,
        reason=_("等级：%(old)s → %(new)s") % {"old": old or "—", "new": grade or "—"},
        payload={"old": getattr(old, "pk", None), "new": getattr(grade, "pk", None)},
    )
    return promoter
