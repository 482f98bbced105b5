from enum import StrEnum


class NewsErrorCode(StrEnum):
    BODY_EMPTY = "news_body_empty"
