from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PriceImportForm(forms.Form):
    file = forms.FileField(
        label=_("行情 CSV 文件"),
        help_text=_(
            "列：市场、品名、规格、产地、单位、最低价、平均价、最高价、成交量、日期"
            "（UTF-8 或 GBK 编码；元/斤 自动换算为 元/公斤）。"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ANALYTICS_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("文件太大。"))
        return upload
