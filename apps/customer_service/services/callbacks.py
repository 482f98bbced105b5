"""Callbacks and visits with their evaluation forms; customer tiers and the visits they need.

A complaint callback is scheduled when a case is resolved; doing it (score 1–5 and the form's
answers) moves the case on to callback_done and closed. Key accounts get a senior manager's
callback every quarter (tiers A and B) and the president's visit once a year (tier A), both
scheduled by the monthly tier job with a `schedule_key` so a rerun schedules nothing twice.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.roles import CS_AGENT, CS_DIRECTOR, CS_MANAGER, CS_SUPERVISOR
from apps.core.transitions import event_record, transition
from apps.customer_service.errors import ArchiveErrorCode, CallbackErrorCode
from apps.customer_service.models import (
    CallbackVisit,
    Case,
    ConfidentialAccess,
    CustomerProfile,
    EvaluationForm,
    Tier,
)
from apps.orders.selectors import buyer_paid_totals

Role = CallbackVisit.Role
Kind = CallbackVisit.Kind
# Which groups may carry out a visit that needs each role.
ROLE_GROUPS = {
    Role.AGENT: {CS_AGENT, CS_SUPERVISOR, CS_MANAGER, CS_DIRECTOR},
    Role.SENIOR_MANAGER: {CS_MANAGER, CS_DIRECTOR},
    Role.PRESIDENT: {CS_DIRECTOR},
}
CONFIDENTIAL_PERMISSION = "customer_service.view_confidential_customerprofile"
OVERRIDE_PERMISSION = "customer_service.override_tier"


def _refuse(message, code, *, field=None, status=None):
    return ApplicationError(
        message, code=code, fields={field: [message]} if field else None, status_code=status
    )


def _role_check(visit: CallbackVisit, actor: User) -> None:
    if actor.is_superuser:
        return
    names = set(actor.groups.values_list("name", flat=True))
    if not names & ROLE_GROUPS[visit.required_role]:
        raise _refuse(
            _("这次回访需要「%(role)s」执行。") % {"role": visit.get_required_role_display()},
            CallbackErrorCode.NOT_ALLOWED,
            status=403,
        )


def _form_for(kind: str) -> EvaluationForm | None:
    return EvaluationForm.objects.filter(is_active=True).order_by("pk").first()


def callback_schedule_for_case(*, case: Case) -> CallbackVisit:
    """The complaint callback, due by the case's callback time (default 3 days)."""
    due = timezone.localtime(case.callback_due or timezone.now()).date()
    visit, _created = CallbackVisit.objects.get_or_create(
        schedule_key=f"case:{case.pk}:{case.reopen_count}",
        defaults={
            "kind": Kind.COMPLAINT,
            "required_role": Role.AGENT,
            "customer": case.customer,
            "case": case,
            "contact_phone": case.contact_phone,
            "due_date": due,
            "assigned_to": case.owner,
            "form": _form_for(Kind.COMPLAINT),
        },
    )
    return visit


@transaction.atomic
def callback_complete(
    *, visit: CallbackVisit, actor: User, score: int, answers: dict, note: str = ""
) -> CallbackVisit:
    """Record the evaluation (score 1–5, every question of the form answered)."""
    visit = CallbackVisit.objects.select_for_update().get(pk=visit.pk)
    _role_check(visit, actor)
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise _refuse(_("评分须为 1–5。"), CallbackErrorCode.SCORE_INVALID, field="score")
    questions = list(visit.form.questions) if visit.form else []
    answers = {q: str(answers.get(q, "")).strip() for q in questions}
    missing = [q for q, a in answers.items() if not a]
    if missing:
        raise _refuse(
            _("请回答：%(q)s") % {"q": "、".join(missing)},
            CallbackErrorCode.ANSWER_REQUIRED,
            field="answers",
        )
    visit.score, visit.answers, visit.note = score, answers, note
    visit.completed_by = actor
    visit.is_overdue = False
    transition(
        visit,
        CallbackVisit.Status.DONE,
        actor=actor,
        reason=note[:200],
        payload={"score": score},
        fields=["score", "answers", "note", "completed_by", "is_overdue"],
    )
    if visit.case_id:
        _case_after_callback(visit.case, actor)
    return visit


def _case_after_callback(case: Case, actor: User) -> None:
    from apps.customer_service.services.cases import (
        case_callback_done,
        case_close,
        case_confirm,
    )

    if case.status == Case.Status.RESOLVED:
        # The customer accepted the result on the phone.
        case = case_confirm(case=case, actor=actor)
    if case.status == Case.Status.CONFIRMED:
        case = case_callback_done(case=case, actor=actor, reason=_("回访完成"))
        case_close(case=case, actor=actor, reason=_("回访完成，结案"))


@transaction.atomic
def callback_attempt_failed(*, visit: CallbackVisit, actor: User, note: str = "") -> CallbackVisit:
    """Nobody answered; the third failed try ends the visit as unreachable."""
    visit = CallbackVisit.objects.select_for_update().get(pk=visit.pk)
    _role_check(visit, actor)
    if visit.status != CallbackVisit.Status.SCHEDULED:
        raise _refuse(_("这次回访已结束。"), CallbackErrorCode.INVALID_TRANSITION, status=409)
    visit.attempts += 1
    if visit.attempts >= CallbackVisit.MAX_ATTEMPTS:
        transition(
            visit,
            CallbackVisit.Status.UNREACHABLE,
            actor=actor,
            reason=note or _("三次未联系上"),
            fields=["attempts"],
        )
    else:
        visit.save(update_fields=["attempts", "updated_at"])
        event_record(visit, kind="attempt", actor=actor, reason=note, payload={"n": visit.attempts})
    return visit


def callbacks_flag_overdue(*, today: date | None = None) -> int:
    """Mark scheduled visits past their date (one UPDATE; a rerun changes nothing)."""
    today = today or timezone.localdate()
    return CallbackVisit.objects.filter(
        status=CallbackVisit.Status.SCHEDULED, due_date__lt=today, is_overdue=False
    ).update(is_overdue=True)


# --- tiers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierResult:
    profiles: int
    tiers: dict[str, int]
    scheduled: int
    overdue: int
    survey_calls: int = 0


def _quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    first_next = date(day.year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def tiers_for(totals: list[tuple[int, Decimal]], *, a_share: float, b_share: float):
    """Rank buyers by what they paid: the top `a_share` are A, the next `b_share` B, the
    others C. At least one A when anyone bought. Returns {buyer_id: tier}."""
    ranked = sorted(totals, key=lambda row: (-row[1], row[0]))
    count = len(ranked)
    a_count = max(1, round(count * a_share)) if count else 0
    b_count = round(count * b_share)
    tiers = {}
    for index, (buyer_id, _total) in enumerate(ranked):
        tiers[buyer_id] = (
            Tier.A if index < a_count else Tier.B if index < a_count + b_count else Tier.C
        )
    return tiers


@transaction.atomic
def customer_tiers_refresh(*, now: datetime | None = None) -> TierResult:
    """Monthly: tiers from 12-month paid purchases, the visits tiers A and B need, overdue flags."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    rows = [
        (row["buyer_id"], row["total"] or Decimal("0"))
        for row in buyer_paid_totals(since=now - timedelta(days=365))
        if (row["total"] or 0) > 0
    ]
    tiers = tiers_for(
        rows,
        a_share=settings.CUSTOMER_SERVICE_TIER_A_SHARE,
        b_share=settings.CUSTOMER_SERVICE_TIER_B_SHARE,
    )
    totals = dict(rows)
    CustomerProfile.objects.bulk_create(
        [CustomerProfile(user_id=buyer_id) for buyer_id in tiers], ignore_conflicts=True
    )
    profiles = list(CustomerProfile.objects.select_for_update().filter(user_id__in=tiers))
    for profile in profiles:
        profile.tier_computed = tiers[profile.user_id]
        profile.purchases_12m = totals[profile.user_id]
        profile.tier_computed_at = now
    CustomerProfile.objects.bulk_update(
        profiles, ["tier_computed", "purchases_12m", "tier_computed_at"], batch_size=1000
    )
    # Buyers with no paid order in 12 months drop to C (their manual override stays).
    CustomerProfile.objects.exclude(user_id__in=tiers).exclude(tier_computed="").update(
        tier_computed=Tier.C, purchases_12m=0, tier_computed_at=now
    )
    scheduled = _key_account_visits_schedule(today)
    survey_calls = survey_calls_schedule(today=today)
    overdue = callbacks_flag_overdue(today=today)
    counts = {tier: sum(1 for t in tiers.values() if t == tier) for tier in Tier.values}
    return TierResult(
        profiles=len(tiers),
        tiers=counts,
        scheduled=scheduled,
        overdue=overdue,
        survey_calls=survey_calls,
    )


def survey_calls_schedule(*, today: date | None = None, share: float | None = None) -> int:
    """Satisfaction survey calls (满意度电话调查) for a sample of last month's closed cases.

    The sample is `share` (settings.CUSTOMER_SERVICE_SURVEY_CALL_SHARE, default 20 %, at least
    one) of the cases resolved and closed in the previous calendar month, drawn with a seed
    made of that month so a rerun draws the same cases; one call per customer (or phone) and
    month (`schedule_key`), due within a week, carried out by an agent with the evaluation
    form. Returns how many calls were scheduled (0 on a rerun)."""
    today = today or timezone.localdate()
    share = settings.CUSTOMER_SERVICE_SURVEY_CALL_SHARE if share is None else share
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    period = f"{last_month:%Y-%m}"
    tz = timezone.get_current_timezone()
    closed = Case.objects.filter(
        status=Case.Status.CLOSED,
        resolved_at__isnull=False,
        closed_at__gte=datetime.combine(last_month, datetime.min.time(), tzinfo=tz),
        closed_at__lt=datetime.combine(this_month, datetime.min.time(), tzinfo=tz),
    ).order_by("pk")
    rows = list(closed.values_list("pk", "customer_id", "contact_phone"))
    if not rows or share <= 0:
        return 0
    count = max(1, round(len(rows) * share))
    picked = random.Random(f"survey-calls:{period}").sample(rows, min(count, len(rows)))
    form = _form_for(Kind.SURVEY)
    due = today + timedelta(days=7)
    visits = [
        CallbackVisit(
            kind=Kind.SURVEY,
            required_role=Role.AGENT,
            customer_id=customer_id,
            case_id=case_id,
            contact_phone=phone,
            due_date=due,
            form=form,
            schedule_key=f"survey:{customer_id or phone}:{period}"[:80],
        )
        for case_id, customer_id, phone in sorted(picked)
    ]
    before = CallbackVisit.objects.filter(kind=Kind.SURVEY).count()
    CallbackVisit.objects.bulk_create(visits, ignore_conflicts=True)
    return CallbackVisit.objects.filter(kind=Kind.SURVEY).count() - before


def _key_account_visits_schedule(today: date) -> int:
    quarter = (today.month - 1) // 3 + 1
    quarter_end = _quarter_end(today)
    visits = []
    for profile in CustomerProfile.objects.select_related("user"):
        tier = profile.tier
        if tier in (Tier.A, Tier.B):
            visits.append(
                CallbackVisit(
                    kind=Kind.KEY_ACCOUNT,
                    required_role=Role.SENIOR_MANAGER,
                    customer_id=profile.user_id,
                    contact_phone=profile.user.phone or "",
                    due_date=quarter_end,
                    assigned_to_id=profile.account_manager_id,
                    form=_form_for(Kind.KEY_ACCOUNT),
                    schedule_key=f"key:{profile.user_id}:{today.year}Q{quarter}",
                )
            )
        if tier == Tier.A:
            visits.append(
                CallbackVisit(
                    kind=Kind.PRESIDENT,
                    required_role=Role.PRESIDENT,
                    customer_id=profile.user_id,
                    contact_phone=profile.user.phone or "",
                    due_date=date(today.year, 12, 31),
                    form=_form_for(Kind.PRESIDENT),
                    schedule_key=f"president:{profile.user_id}:{today.year}",
                )
            )
    before = CallbackVisit.objects.count()
    CallbackVisit.objects.bulk_create(visits, ignore_conflicts=True, batch_size=1000)
    return CallbackVisit.objects.count() - before


@transaction.atomic
def customer_tier_override(
    *, profile: CustomerProfile, actor: User, tier: str, reason: str
) -> CustomerProfile:
    if not actor.has_perm(OVERRIDE_PERMISSION):
        raise _refuse(_("您没有调整客户等级的权限。"), ArchiveErrorCode.CONFIDENTIAL, status=403)
    reason = (reason or "").strip()
    if tier and not reason:
        raise _refuse(_("请填写调整原因。"), ArchiveErrorCode.REASON_REQUIRED, field="reason")
    profile = CustomerProfile.objects.select_for_update().get(pk=profile.pk)
    profile.tier_override = tier if tier in Tier.values else ""
    profile.tier_override_reason = reason[:200]
    profile.save(update_fields=["tier_override", "tier_override_reason", "updated_at"])
    return profile


def customer_confidential_read(*, profile: CustomerProfile, actor: User) -> dict[str, str]:
    """The confidential fields, for those allowed; every attempt is logged."""
    granted = actor.has_perm(CONFIDENTIAL_PERMISSION)
    ConfidentialAccess.objects.create(profile=profile, user=actor, is_granted=granted)
    if not granted:
        raise _refuse(
            _("查看客户保密信息需要相应权限，本次尝试已记录。"),
            ArchiveErrorCode.CONFIDENTIAL,
            status=403,
        )
    return {name: getattr(profile, name) for name in CustomerProfile.CONFIDENTIAL_FIELDS}
