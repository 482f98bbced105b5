"""Text people type: no invisible or direction-changing characters, and a sane length.

Model fields carry these validators, so forms, the admin and the API (ModelSerializers, and
services that call full_clean) refuse the same input with the same message.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Explicit bidirectional formatting (embeddings, overrides, isolates, marks): they can make a
# text display as another one ("Trojan source"), e.g. a title that reads as a rival's.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Multi-line texts keep their line breaks and tabs.
_TEXT_WHITESPACE = frozenset("\n\r\t")

# Limits of the long texts people type (characters).
DESCRIPTION_MAX_LENGTH = 5000
SHORT_TEXT_MAX_LENGTH = 2000


def _invisible_in_name(char: str) -> bool:
    # Cc: control characters (newlines, NUL...); Cf: format characters, which is every bidi
    # control, zero-width space/joiners, word joiner, BOM and soft hyphen.
    return unicodedata.category(char) in ("Cc", "Cf")


def _invisible_in_text(char: str) -> bool:
    if char in BIDI_CONTROLS:
        return True
    # Zero-width joiners stay (emoji sequences); other controls than line breaks do not.
    return unicodedata.category(char) == "Cc" and char not in _TEXT_WHITESPACE


def _codepoints(chars: list[str]) -> str:
    return "、".join(f"U+{ord(char):04X}" for char in dict.fromkeys(chars))


@deconstructible
class VisibleTextValidator:
    """Refuses invisible or direction-changing characters.

    `single_line=True` (names, titles, specs): no control or format character at all — no
    bidi controls, no zero-width characters, no line breaks. Otherwise (descriptions, reviews,
    notes): no bidi controls and no control characters but line breaks and tabs.
    """

    code = "invisible_characters"

    def __init__(self, single_line: bool = True) -> None:
        self.single_line = single_line

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        test = _invisible_in_name if self.single_line else _invisible_in_text
        found = [char for char in value if test(char)]
        if found:
            raise ValidationError(
                _("不能包含不可见字符或改变文字方向的控制字符（%(chars)s），请删除后重试。"),
                code=self.code,
                params={"chars": _codepoints(found)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleTextValidator) and other.single_line == self.single_line

    def __hash__(self) -> int:
        return hash(("VisibleTextValidator", self.single_line))


validate_display_name = VisibleTextValidator(single_line=True)
validate_visible_text = VisibleTextValidator(single_line=False)


def long_text_validators(max_length: int) -> list:
    """For a TextField people type into: Django does not check a TextField's max_length on
    the model, so the limit is a validator (the form and the API read it from there too)."""
    return [validate_visible_text, MaxLengthValidator(max_length)]


def model_fields_validate(model: type, **values: object) -> None:
    """Run the validators of `model`'s fields on `values` (for services that build a row
    from keyword arguments instead of calling full_clean); raise one ApplicationError with
    every refused field's messages."""
    from apps.core.errors import ApplicationError

    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        try:
            model._meta.get_field(name).run_validators(value)
        except ValidationError as exc:
            errors[name] = [str(message) for message in exc.messages]
    if errors:
        raise ApplicationError(next(iter(errors.values()))[0], code="invalid", fields=errors)
