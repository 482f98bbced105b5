"""Forms of the store pages and the store back office. They parse input; services decide."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.core.images import image_clean_for_form
from apps.stores.divisions import is_county_code, picker_path
from apps.stores.models import APPLICABLE_STORE_TYPES, Store
from apps.stores.validators import normalize_contact_phone, normalize_uscc
from apps.stores.widgets import CountyPickerWidget

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class CountyCodeField(forms.CharField):
    """A county-level division code picked with the cascading CountyPickerWidget.

    Only a county passes: a province or city left by a half-finished pick asks for the
    county, an unknown code is refused. Nothing lists all ~2,800 counties.
    """

    widget = CountyPickerWidget
    default_error_messages = {
        "incomplete": _("请选择区县。"),
        "unknown": _("未知的区县代码。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not is_county_code(value):
            if picker_path(value)[0] and len(value) < 6:
                raise ValidationError(self.error_messages["incomplete"], code="incomplete")
            raise ValidationError(self.error_messages["unknown"], code="unknown_division")


def county_field(*, required: bool = True, label=None, **kwargs) -> CountyCodeField:
    return CountyCodeField(label=label or _("所在区县"), required=required, **kwargs)


def add_application_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its fields where it names them."""
    placed = False
    for field, messages in error.fields.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class StoreApplicationForm(forms.Form):
    store_name = forms.CharField(label=_("店铺名称"), max_length=60)
    store_type = forms.ChoiceField(
        label=_("主体类型"), choices=[("", _("请选择主体类型")), *APPLICABLE_STORE_TYPES]
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=30)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        help_text=_("手机号或带区号的固定电话"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    county_code = county_field()
    township = forms.CharField(label=_("乡镇"), max_length=60)
    licence_number = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=30,  # people paste it with spaces; the validator strips them
        help_text=_("营业执照上的 18 位代码"),
    )
    licence_image = forms.FileField(
        label=_("营业执照照片"),
        help_text=_("JPEG/PNG/WebP/GIF，不超过 5 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    food_permit_number = forms.CharField(
        label=_("食品经营许可证号"),
        max_length=30,
        required=False,
        help_text=_("如经营预包装/加工食品需提供"),
    )
    food_permit_image = forms.FileField(
        label=_("食品经营许可证照片"),
        required=False,
        help_text=_("如经营预包装/加工食品需提供"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    description = forms.CharField(
        label=_("经营范围与简介"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_contact_phone(self) -> str:
        return normalize_contact_phone(self.cleaned_data["contact_phone"])

    def clean_licence_number(self) -> str:
        return normalize_uscc(self.cleaned_data["licence_number"])

    def clean_licence_image(self) -> bytes:
        return image_clean_for_form(self.cleaned_data["licence_image"], field="licence_image")

    def clean_food_permit_image(self) -> bytes | None:
        upload = self.cleaned_data.get("food_permit_image")
        if not upload:
            return None
        return image_clean_for_form(upload, field="food_permit_image")

    def clean(self):
        cleaned = super().clean()
        has_number = bool(cleaned.get("food_permit_number"))
        has_image = bool(cleaned.get("food_permit_image"))
        if has_number and not has_image and "food_permit_image" not in self.errors:
            self.add_error("food_permit_image", _("填写了许可证号时请同时上传许可证照片。"))
        if has_image and not has_number:
            self.add_error("food_permit_number", _("上传了许可证照片时请填写许可证号。"))
        return cleaned


class RejectApplicationForm(forms.Form):
    reason = forms.CharField(
        label=_("驳回原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("申请人会在站内消息和申请记录中看到这段话。"),
    )


class StoreStatusForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class StoreAdminForm(forms.ModelForm):
    """Back-office store form: the banner goes through the same Pillow check as uploads."""

    class Meta:
        model = Store
        fields = [
            "name",
            "slug",
            "type",
            "is_featured",
            "description",
            "banner",
            "county_code",
            "township",
            "contact_name",
            "contact_phone",
            "licence_number",
            "licence_image",
            "food_permit_number",
            "food_permit_image",
            "commission_rate",
        ]
        field_classes = {"county_code": CountyCodeField}
        widgets = {"county_code": CountyPickerWidget}  # the admin would put a text box

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("用于店铺网址，留空则按店名拼音生成")
        for name in ("banner", "licence_image", "food_permit_image"):
            if name in self.fields:
                self.fields[name].widget.attrs["accept"] = IMAGE_ACCEPT

    def _clean_upload(self, name: str):
        value = self.cleaned_data.get(name)
        if value and hasattr(value, "content_type"):  # a new upload, not the stored file
            jpeg = image_clean_for_form(value, field=name)
            return ContentFile(jpeg, name=f"{uuid.uuid4().hex}.jpg")
        return value

    def clean_banner(self):
        return self._clean_upload("banner")

    def clean_licence_image(self):
        return self._clean_upload("licence_image")

    def clean_food_permit_image(self):
        return self._clean_upload("food_permit_image")

    def clean_contact_phone(self) -> str:
        return normalize_contact_phone(self.cleaned_data["contact_phone"])
