from enum import StrEnum


class AnalyticsErrorCode(StrEnum):
    IMPORT_UNREADABLE = "analytics_import_unreadable"
    IMPORT_BAD_COLUMNS = "analytics_import_bad_columns"
    JOB_NEEDS_POSTGRES = "analytics_job_needs_postgres"
    NOT_ALLOWED = "analytics_not_allowed"
