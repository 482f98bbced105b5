"""Who brought whom: binding a user to a promoter (their level-1 upline) and its history.

Rules: never to oneself, never to a promoter who is not active, never in a cycle (the whole
upline chain of the promoter is walked). The bind mode decides between links: the first one
wins (default), only new users are bound, or the last one wins; a binding may lapse after the
configured number of days. Every change is a BindingChange row.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.distribution.errors import DistributionErrorCode as Code
from apps.distribution.models import BindingChange, DistributionConfig, Promoter, ReferralBinding
from apps.distribution.selectors import promoter_get_by_code
from apps.distribution.services.config import config_current

BindMode = DistributionConfig.BindMode
# A chain longer than this is corrupt data, not a real upline: refuse rather than loop.
MAX_CHAIN = 10_000


def _upline_users(user_id: int) -> list[int]:
    """User ids above `user_id`, nearest first (expired bindings included: a cycle through
    a lapsed binding would come back the day someone re-binds)."""
    chain, seen, current = [], {user_id}, user_id
    for _i in range(MAX_CHAIN):
        upline = (
            ReferralBinding.objects.filter(user_id=current)
            .values_list("promoter__user_id", flat=True)
            .first()
        )
        if upline is None or upline in seen:
            if upline is not None:
                chain.append(upline)
            return chain
        chain.append(upline)
        seen.add(upline)
        current = upline
    return chain


def binding_check(*, user, promoter: Promoter) -> None:
    """Raise unless `user` may be bound to `promoter` (self, inactive, cycle)."""
    if promoter.user_id == user.pk:
        raise ApplicationError(_("不能绑定自己为推广人。"), code=Code.SELF_BINDING)
    if promoter.status != Promoter.Status.ACTIVE:
        raise ApplicationError(
            _("该推广员当前不可用。"), code=Code.PROMOTER_INACTIVE, status_code=409
        )
    if user.pk in _upline_users(promoter.user_id):
        raise ApplicationError(
            _("不能绑定：对方是您推广的用户（会形成循环）。"), code=Code.BINDING_CYCLE
        )


def binding_is_valid(binding: ReferralBinding | None, *, now: datetime | None = None) -> bool:
    if binding is None:
        return False
    return binding.expires_at is None or binding.expires_at > (now or timezone.now())


def _record(user, old: Promoter | None, new: Promoter | None, *, source, actor, reason) -> None:
    BindingChange.objects.create(
        user=user,
        old_promoter=old,
        new_promoter=new,
        source=source,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason[:200],
    )


def _set(user, promoter: Promoter, *, source: str, now, config, actor, reason) -> ReferralBinding:
    is_timed = config.bind_days and source != ReferralBinding.Source.STAFF
    expires_at = now + timedelta(days=config.bind_days) if is_timed else None
    binding = ReferralBinding.objects.select_for_update().filter(user=user).first()
    old = binding.promoter if binding else None
    if binding is None:
        binding = ReferralBinding.objects.create(
            user=user, promoter=promoter, source=source, bound_at=now, expires_at=expires_at
        )
    else:
        binding.promoter, binding.source = promoter, source
        binding.bound_at, binding.expires_at = now, expires_at
        binding.save(update_fields=["promoter", "source", "bound_at", "expires_at", "updated_at"])
    _record(user, old, promoter, source=source, actor=actor, reason=reason)
    return binding


@transaction.atomic
def referral_bind(
    *,
    user,
    code: str,
    source: str = ReferralBinding.Source.LINK,
    visited_at: datetime | None = None,
    now: datetime | None = None,
) -> ReferralBinding:
    """Bind `user` to the promoter with `code` under the configured rules.

    `visited_at` is when the user arrived by the link (remembered in the session); with the
    "new users" mode only a user who signed up after it is bound. Raises ApplicationError with
    a code saying why not (unknown code, self, inactive, cycle, already bound, not new).
    Binding again to one's current upline only renews nothing and returns the binding.
    """
    now = now or timezone.now()
    config = config_current()
    if not config.is_enabled:
        raise ApplicationError(_("分销功能未开启。"), code=Code.DISABLED, status_code=409)
    promoter = promoter_get_by_code(code=code)
    if promoter is None:
        raise ApplicationError(
            _("推广码无效。"), code=Code.UNKNOWN_CODE, fields={"code": _("推广码无效。")}
        )
    # The user's row serialises concurrent binds of one user (two tabs, two links).
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    binding_check(user=user, promoter=promoter)
    current = ReferralBinding.objects.select_for_update().filter(user=user).first()
    if (
        current is not None
        and current.promoter_id == promoter.pk
        and binding_is_valid(current, now=now)
    ):
        return current
    mode = config.bind_mode
    if mode == BindMode.NEW_USERS:
        joined = getattr(user, "date_joined", None)
        is_new = current is None and (visited_at is None or (joined and joined >= visited_at))
        if not is_new:
            raise ApplicationError(
                _("仅新注册用户可通过推广链接绑定。"), code=Code.NOT_NEW_USER, status_code=409
            )
    elif mode == BindMode.FIRST and binding_is_valid(current, now=now):
        raise ApplicationError(
            _("您已有推广人，不能更换。"), code=Code.ALREADY_BOUND, status_code=409
        )
    return _set(user, promoter, source=source, now=now, config=config, actor=user, reason="")


@transaction.atomic
def binding_change_by_staff(*, user, promoter: Promoter | None, actor, reason: str) -> None:
    """Staff set (or clear, promoter None) a user's upline; the history keeps who and why.
    Existing orders keep the uplines snapshotted at payment."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("请填写原因。"), code=Code.REASON_REQUIRED, fields={"reason": _("请填写原因。")}
        )
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if promoter is None:
        binding = ReferralBinding.objects.select_for_update().filter(user=user).first()
        if binding is None:
            return
        old = binding.promoter
        binding.delete()
        _record(user, old, None, source=ReferralBinding.Source.STAFF, actor=actor, reason=reason)
        return
    binding_check(user=user, promoter=promoter)
    _set(
        user,
        promoter,
        source=ReferralBinding.Source.STAFF,
        now=timezone.now(),
        config=config_current(),
        actor=actor,
        reason=reason,
    )


SESSION_KEY = "distribution_ref"


def referral_remember(*, session, code: str, now: datetime | None = None) -> None:
    """A visitor arrived by a share link: keep the code (and when) until they sign in."""
    code = (code or "").strip().upper()[:12]
    if session is None or not code:
        return
    session[SESSION_KEY] = {"code": code, "at": (now or timezone.now()).isoformat()}


def referral_bind_from_session(*, session, user) -> ReferralBinding | None:
    """Bind a user who just signed up or logged in to the promoter whose link they came by.
    A refusal (own link, a cycle, already bound…) is not an error for the visitor: the link
    simply does not bind, and the code is forgotten."""
    if session is None or SESSION_KEY not in session:
        return None
    remembered = session.pop(SESSION_KEY)
    try:
        visited_at = datetime.fromisoformat(remembered.get("at", ""))
    except (TypeError, ValueError):
        visited_at = None
    try:
        return referral_bind(user=user, code=remembered.get("code", ""), visited_at=visited_at)
    except ApplicationError:
        return None
