"""Satisfaction surveys: an invitation link per customer (in-site message), answered once."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.customer_service.errors import SurveyErrorCode as Code
from apps.customer_service.models import Survey, SurveyInvite, SurveyResponse


@transaction.atomic
def survey_invite(*, survey: Survey, users: Iterable[User]) -> int:
    """Send the link to each user not invited yet; returns how many were invited."""
    invited = 0
    for user in users:
        invite, created = SurveyInvite.objects.get_or_create(survey=survey, user=user)
        if created:
            notification_send(
                user=user,
                title=_("邀请您参加满意度调查：%(title)s") % {"title": survey.title},
                url=invite.get_absolute_url(),
                send_email=False,
            )
            invited += 1
    return invited


def _invite_for(token: str, user: User) -> SurveyInvite:
    invite = SurveyInvite.objects.select_related("survey").filter(token=token).first()
    if invite is None or not invite.survey.is_active:
        raise ApplicationError(_("调查链接无效。"), code=Code.LINK_INVALID, status_code=404)
    if invite.user_id != user.pk:
        raise ApplicationError(
            _("这个调查链接不是发给您的。"), code=Code.NOT_YOURS, status_code=403
        )
    return invite


def survey_invite_get(*, token: str, user: User) -> SurveyInvite:
    return _invite_for(token, user)


@transaction.atomic
def survey_answer(*, token: str, user: User, answers: list[str]) -> SurveyResponse:
    """Answers in question order: 1–5 for score questions, text for text ones."""
    invite = _invite_for(token, user)
    invite = SurveyInvite.objects.select_for_update().select_related("survey").get(pk=invite.pk)
    if invite.used_at is not None:
        raise ApplicationError(_("您已填写过这份调查。"), code=Code.LINK_USED, status_code=409)
    questions = invite.survey.questions
    if len(answers) != len(questions):
        raise ApplicationError(_("请回答全部问题。"), code=Code.ANSWER_INVALID)
    scores = []
    cleaned = []
    for index, (question, answer) in enumerate(zip(questions, answers, strict=True)):
        answer = str(answer).strip()
        if question.get("kind") == "score":
            if answer not in {"1", "2", "3", "4", "5"}:
                message = _("请为第 %(n)d 题打 1–5 分。") % {"n": index + 1}
                raise ApplicationError(
                    message, code=Code.ANSWER_INVALID, fields={f"q{index}": [message]}
                )
            scores.append(int(answer))
        cleaned.append(answer)
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_at"])
    average = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01")) if scores else None
    return SurveyResponse.objects.create(
        invite=invite, survey=invite.survey, answers=cleaned, average_score=average
    )
