"""Build catalog/beijing/units.yaml from Beijing's official division codes (run once, by hand).

    python catalog/beijing/build_units.py ../shared/data/beijing_divisions [OUT]

Input: the National Bureau of Statistics' 2023 division codes (统计用区划代码, as of 2023-06-30)
for Beijing, as kept by github.com/modood/Administrative-divisions-of-China (WTFPL v2):
`beijing_districts.csv` (16 districts) and `beijing_townships.csv` (349 township-level rows).

Output: the centre, the 16 districts and the 343 streets, towns and townships (the six
development-zone rows, codes 4xx "类似乡级单位", are not townships and are left out), followed
by the default catalog's municipal departments, so every dispatch rule of the default
categories still names a unit. Each district and street keeps its official code (`code:`).

- Chinese names are the published ones (东华门街道).
- The kind follows the code's type digit: 0xx is a sub-district office (街道, and the 地区
  area offices that are run as one), 1xx a town (镇), 2xx a township (乡).
- English names and ids are pinyin, made by pypinyin (the maintained Hanzi-to-pinyin library,
  with a phrase dictionary; it is needed only here, not by jiesu). pypinyin reads a few
  polyphonic place names wrongly; PLACE_READINGS below sets their accepted readings.
- Ids: the district without 区 (`dongcheng`), the street without its 街道/镇/乡/地区 suffix
  (`dongcheng/donghuamen`); a name that is only one character plus the suffix keeps it whole
  (张镇 → `zhangzhen`).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin, load_phrases_dict

HERE = Path(__file__).resolve().parent
DEFAULT_UNITS = HERE.parent.parent / "catalog" / "units.yaml"
# place names whose reading pypinyin gets wrong (朝阳 is cháoyáng, 长辛店 chángxīndiàn, …)
PLACE_READINGS = {
    "朝阳": [["cháo"], ["yáng"]],
    "朝外": [["cháo"], ["wài"]],
    "什刹海": [["shí"], ["chà"], ["hǎi"]],
    "大栅栏": [["dà"], ["shí"], ["lan"]],
    "长辛店": [["cháng"], ["xīn"], ["diàn"]],
    "长阳": [["cháng"], ["yáng"]],
    "长沟": [["cháng"], ["gōu"]],
    "长子营": [["cháng"], ["zǐ"], ["yíng"]],
    "长哨营": [["cháng"], ["shào"], ["yíng"]],
    "佛子庄": [["fó"], ["zǐ"], ["zhuāng"]],
}
# suffix → (kind wording in English); the longest suffixes first
SUFFIXES = [
    ("回族乡", "Hui Ethnic Township"),
    ("满族乡", "Manchu Ethnic Township"),
    ("街道", "Street"),
    ("地区", "Area"),
    ("镇", "Town"),
    ("乡", "Township"),
]
KIND_BY_DIGIT = {"0": "street", "1": "town", "2": "township"}
NOT_TOWNSHIPS = "4"  # 类似乡级单位: development zones, an airport — not administrative units


def pinyin(text: str) -> list[str]:
    return [s for s in lazy_pinyin(text) if s.strip()]


def split_name(name: str) -> tuple[str, str]:
    """(stem, English wording of the suffix): 东华门街道 → (东华门, Street); 张镇 → (张镇, Town)."""
    for suffix, english in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + (0 if len(suffix) > 1 else 1):
            return name[: -len(suffix)], english
    for suffix, english in SUFFIXES:
        if name.endswith(suffix):
            return name, english
    raise SystemExit(f"{name}: no known suffix")


def slug(stem: str) -> str:
    return "".join(pinyin(stem)).replace("ü", "v").lower()


def english(stem: str, wording: str) -> str:
    return f"{''.join(pinyin(stem)).replace('ü', 'v').capitalize()} {wording}"


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def build(source: Path) -> tuple[list[dict], list[dict]]:
    """The districts and the township-level units, as dicts in catalog order."""
    load_phrases_dict(PLACE_READINGS)
    districts, streets = [], []
    by_code = {}
    for row in read(source / "beijing_districts.csv"):
        stem = row["name"].removesuffix("区")
        unit = {"id": slug(stem), "kind": "district", "parent": "centre", "code": row["code"],
                "name": {"en": english(stem, "District"), "zh": row["name"]}}
        districts.append(unit)
        by_code[row["code"]] = unit
    seen = set()
    for row in read(source / "beijing_townships.csv"):
        digit = row["code"][6]
        if digit == NOT_TOWNSHIPS:
            continue
        district = by_code[row["areaCode"]]
        stem, wording = split_name(row["name"])
        uid = f"{district['id']}/{slug(stem)}"
        if uid in seen:
            raise SystemExit(f"{row['code']} {row['name']}: id {uid} is taken; add a reading or a suffix rule")
        seen.add(uid)
        streets.append({"id": uid, "kind": KIND_BY_DIGIT[digit], "parent": district["id"], "code": row["code"],
                        "name": {"en": english(stem, wording), "zh": row["name"]}})
    return districts, streets


def flow(unit: dict) -> str:
    lines = [f"- id: {unit['id']}", f"  kind: {unit['kind']}"]
    if unit.get("parent"):
        lines.append(f"  parent: {unit['parent']}")
    if unit.get("code"):
        lines.append(f"  code: '{unit['code']}'")
    lines.append(f"  name: {{en: {unit['name']['en']}, zh: {unit['name']['zh']}}}")
    return "\n".join(lines)


HEADER = """\
# Handling units of Beijing's 12345 hotline: the centre, Beijing's 16 districts and its 343 streets
# (街道), towns (镇) and townships (乡), then the municipal departments of jiesu's default catalog.
#
# Source: National Bureau of Statistics of China, 2023 statistical division codes
# (2023年统计用区划代码和城乡划分代码, as of 2023-06-30, published 2023-09-11), Beijing rows, as kept
# by github.com/modood/Administrative-divisions-of-China (commit 57a0aa9c, licence WTFPL v2).
# The six development-zone rows (codes 4xx, 类似乡级单位) are left out. `code` is the official code.
# Chinese names as published; English names and ids in pinyin.
#
# Generated by catalog/beijing/build_units.py — edit that script, not this file.
# Format: as catalog/units.yaml (id, kind, parent, name {en, zh}; here also code).
units:
"""


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else HERE / "units.yaml"
    districts, streets = build(source)
    default = yaml.safe_load(DEFAULT_UNITS.read_text("utf-8"))["units"]
    centre = [u for u in default if u["kind"] == "centre"]
    departments = [u for u in default if u["kind"] == "department"]
    parts = [HEADER, "\n".join(flow(u) for u in centre), "\n\n# Districts (区)\n", "\n".join(flow(u) for u in districts)]
    for district in districts:
        mine = [u for u in streets if u["parent"] == district["id"]]
        parts.append(f"\n\n# {district['name']['zh']} {district['name']['en']}: {len(mine)} streets, towns and townships\n")
        parts.append("\n".join(flow(u) for u in mine))
    parts.append("\n\n# Municipal departments and utilities (as in jiesu's default catalog)\n")
    parts.append("\n".join(flow(u) for u in departments))
    out.write_text("".join(parts) + "\n", "utf-8")
    print(f"{out}: {len(districts)} districts, {len(streets)} streets/towns/townships, {len(departments)} departments")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
