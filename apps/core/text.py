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


# Excel in China saves CSV as GBK unless told otherwise (gb18030 reads every GBK file it
# writes); UTF-8 files may start with a BOM.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def csv_decode(data: bytes) -> tuple[str, str] | None:
    """The text of an uploaded CSV file and the encoding it was read in, or None when it is in
    neither (the caller answers with its own error)."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None
