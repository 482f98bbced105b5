"""Small helpers for the Chinese sentences the site composes from user-written parts."""

# Marks that already end a sentence (or clause) in Chinese or Latin text.
_SENTENCE_ENDS = "。．.！!？?；;…"


def as_sentence(text: str) -> str:
    """`text` ending in exactly one sentence mark: a full stop is added unless it has one.

    Reasons typed by people often end with 。 already; templates such as "原因：%(reason)s请……"
    use this so that the message never reads "召回。。请停止食用".
    """
    text = text.strip()
    if not text or text.endswith(tuple(_SENTENCE_ENDS)):
        return text
    return text + "。"
