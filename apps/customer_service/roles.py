"""What customer-service staff (agent, supervisor, manager, director) and merchants may do
with the cases (collected by apps.core.roles). Merchants read and answer only the cases about
their own stores: that scoping is the access selectors' job."""

from apps.core.roles import (
    CS_AGENT,
    CS_DIRECTOR,
    CS_MANAGER,
    CS_SUPERVISOR,
    MERCHANT,
    PLATFORM_OPERATIONS,
    permission_grant,
)

# Who is told when a case's escalation level reaches 1, 2, 3.
ESCALATION_ROLES = {1: CS_SUPERVISOR, 2: CS_MANAGER, 3: CS_DIRECTOR}

_AGENT = [
    *permission_grant("customer_service", ["case", "caseentry"], ("view", "add", "change")),
    "customer_service.view_cannedreply",
    "customer_service.view_callbackvisit",
    "customer_service.change_callbackvisit",
    "customer_service.view_customerprofile",
    "customer_service.view_survey",
    "customer_service.view_surveyresponse",
]
_SUPERVISOR = [
    *_AGENT,
    "customer_service.assign_case",
    "customer_service.supervise_case",
    "customer_service.publish_caseentry",
    *permission_grant("customer_service", ["cannedreply", "slapolicy", "calendarday"]),
    *permission_grant("customer_service", ["evaluationform", "survey"]),
    "customer_service.add_callbackvisit",
    "customer_service.view_service_dashboard",
]
_MANAGER = [
    *_SUPERVISOR,
    "customer_service.change_customerprofile",
    "customer_service.view_confidential_customerprofile",
    "customer_service.override_tier",
    "customer_service.view_confidentialaccess",
]

GRANTS = {
    MERCHANT: [
        "customer_service.view_case",
        "customer_service.add_case",
        "customer_service.reply_case_as_partner",
    ],
    CS_AGENT: _AGENT,
    CS_SUPERVISOR: _SUPERVISOR,
    CS_MANAGER: _MANAGER,
    CS_DIRECTOR: _MANAGER,
    PLATFORM_OPERATIONS: _SUPERVISOR,
}
