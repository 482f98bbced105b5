"""The shared province → city → county picker: its endpoint and its field's validation."""

import pytest
from django import forms

from apps.stores.forms import county_field

URL = "/stores/divisions/"


def test_a_province_gives_its_cities_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(URL, {"province": "23"})

    assert response.status_code == 200
    assert {"code": "2301", "name": "哈尔滨市"} in response.json()
    assert "max-age=86400" in response["Cache-Control"]


def test_a_city_gives_its_counties(client):
    response = client.get(URL, {"city": "2301"})

    assert {"code": "230184", "name": "五常市"} in response.json()
    assert all(item["code"].startswith("2301") for item in response.json())


@pytest.mark.parametrize(
    ("param", "code", "expected"),
    [
        # A 直辖市 has one "city", itself, whose counties are its districts.
        ("province", "11", [{"code": "11", "name": "北京市"}]),
        # A city without counties (东莞) and a county-level city under a province (仙桃)
        # are their own only county.
        ("city", "4419", [{"code": "4419", "name": "东莞市"}]),
        ("city", "429004", [{"code": "429004", "name": "仙桃市"}]),
        ("city", "nonsense", []),
        ("province", "99", []),
    ],
)
def test_special_divisions(client, param, code, expected):
    assert client.get(URL, {param: code}).json() == expected


def test_beijing_districts_are_the_counties_of_its_one_city(client):
    names = [item["name"] for item in client.get(URL, {"city": "11"}).json()]

    assert "东城区" in names
    assert len(names) == 16


class _Form(forms.Form):
    county = county_field()


@pytest.mark.parametrize(
    ("data", "cleaned", "error"),
    [
        ({"county": "230184"}, "230184", None),
        ({"county": "110101", "county__province": "11", "county__city": "11"}, "110101", None),
        ({"county": "4419"}, "4419", None),
        ({"county__province": "23"}, None, "请选择区县。"),
        ({"county__province": "23", "county__city": "2301"}, None, "请选择区县。"),
        ({"county": "239999"}, None, "未知的区县代码。"),
        ({"county": "<script>"}, None, "未知的区县代码。"),
        ({}, None, "该字段是必填项。"),
    ],
)
def test_the_field_accepts_only_a_county(data, cleaned, error):
    form = _Form(data)

    if error is None:
        assert form.is_valid(), form.errors
        assert form.cleaned_data["county"] == cleaned
    else:
        assert not form.is_valid()
        assert form.errors["county"] == [error]


def test_the_widget_renders_only_the_chosen_path():
    html = str(_Form(initial={"county": "230184"})["county"])

    assert '<option value="23" selected>黑龙江省</option>' in html
    assert '<option value="2301" selected>哈尔滨市</option>' in html
    assert '<option value="230184" selected>五常市</option>' in html
    assert "东城区" not in html  # another province's counties are not sent
    assert html.count("<option") < 34 + 20 + 30
