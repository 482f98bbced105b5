"""The county picker every form with a county field shares (store application, store, product
origin, traceability location).

Three linked selects, province → city → county, rendered with only the options of the chosen
path (34 provinces, one province's cities, one city's counties) instead of all ~2,800 counties.
stores/county_picker.js loads the next level from stores:division_children as a select
changes; without JavaScript a submit with only a province or city chosen comes back with the
next level filled in and "请选择区县".
"""

from django import forms
from django.urls import reverse

from apps.stores.divisions import picker_cities, picker_counties, picker_path, picker_provinces

PROVINCE_SUFFIX = "__province"
CITY_SUFFIX = "__city"


class CountyPickerWidget(forms.Widget):
    template_name = "stores/widgets/county_picker.html"

    class Media:
        js = ["stores/county_picker.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        province, city, county = picker_path(str(value or ""))
        context["widget"].update(
            {
                "province_name": name + PROVINCE_SUFFIX,
                "city_name": name + CITY_SUFFIX,
                "province": province,
                "city": city,
                "county": county,
                "provinces": picker_provinces(),
                "cities": picker_cities(province) if province else [],
                "counties": picker_counties(city) if city else [],
                "endpoint": reverse("stores:division_children"),
            }
        )
        return context

    def value_from_datadict(self, data, files, name):
        # The most specific level chosen: a county, else the city or province so that a
        # form returned with an error keeps them (the field's clean rejects a non-county).
        for key in (name, name + CITY_SUFFIX, name + PROVINCE_SUFFIX):
            value = (data.get(key) or "").strip()
            if value:
                return value[:12]
        return ""

    def value_omitted_from_data(self, data, files, name):
        return name not in data and name + PROVINCE_SUFFIX not in data
