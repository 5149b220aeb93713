"""Category search: an FTS5 trigram index ranked by BM25, the leaf name weighted highest (DESIGN §10).

The table holds queries operators type, in Chinese and English, with typos; the expected leaf must
be among the first three.
"""

from __future__ import annotations

import pytest

from jiesu.search import TextIndex

QUERIES = [
    ("垃圾", "env.garbage.unregulated-collection"),
    ("乱倒垃圾", "env.garbage.unregulated-collection"),
    ("garbage dumping", "env.garbage.unregulated-collection"),
    ("garbge", "env.garbage.unregulated-collection"),
    ("垃圾分类", "env.garbage.sorting"),
    ("垃圾车不来", "env.garbage.collection-delay"),
    ("装修垃圾", "env.garbage.construction-waste"),
    ("loud music bar", "env.noise.commercial-noise"),
    ("KTV 扰民", "env.noise.commercial-noise"),
    ("噪音", "env.noise.neighbourhood-noise"),
    ("广场舞", "env.noise.neighbourhood-noise"),
    ("夜间施工噪音", "env.noise.construction-noise"),
    ("construction noise at night", "env.noise.construction-noise"),
    ("油烟", "env.air.catering-fumes"),
    ("restaurant cooking fumes", "env.air.catering-fumes"),
    ("扬尘", "env.air.construction-dust"),
    ("违建", "urban.illegal-construction.private-extension"),
    ("illegal extenstion", "urban.illegal-construction.private-extension"),
    ("开墙打洞", "urban.illegal-construction.wall-opening"),
    ("小广告", "urban.appearance.illegal-posting"),
    ("graffiti", "urban.appearance.illegal-posting"),
    ("摆摊", "urban.vendors.street-vendors"),
    ("dog barking", "urban.civility.dog-keeping"),
    ("共享单车", "urban.civility.shared-bikes"),
    ("停水", "utilities.water.outage"),
    ("no water", "utilities.water.outage"),
    ("water pipe burst", "utilities.water.pipe-burst"),
    ("停电", "utilities.power.outage"),
    ("power outage", "utilities.power.outage"),
    ("powr outage", "utilities.power.outage"),
    ("燃气泄漏", "utilities.gas.leak"),
    ("gas leak", "utilities.gas.leak"),
    ("暖气不热", "utilities.heating.not-warm"),
    ("heating not warm", "utilities.heating.not-warm"),
    ("电梯困人", "property.elevator.trapped"),
    ("trapped in lift", "property.elevator.trapped"),
    ("elevator broken", "property.elevator.failure"),
    ("物业费", "property.fees.fee-disputes"),
    ("押金不退", "housing.rental.deposit-disputes"),
    ("群租", "housing.rental.group-rental"),
    ("违章停车", "transport.parking.illegal-parking"),
    ("公交", "transport.transit.bus-service"),
    ("路灯不亮", "municipal.lighting.lamp-out"),
    ("street lamp out", "municipal.lighting.lamp-out"),
    ("井盖", "municipal.manholes.missing-cover"),
    ("manhole cover missing", "municipal.manholes.missing-cover"),
    ("欠薪", "social.wages.wage-arrears"),
    ("unpaid wages", "social.wages.wage-arrears"),
    ("预付卡退费", "market.prepaid.refund"),
    ("健身房跑路", "market.prepaid.business-closure"),
    ("电动车充电", "safety.fire.ebike-charging"),
    ("消防通道", "safety.fire.blocked-exits"),
    ("诈骗", "safety.fraud.telecom-fraud"),
    ("入学", "education.admission.primary-admission"),
    ("挂号", "health.hospital.registration"),
    ("户口迁移", "policy.hukou.registration"),
    ("居住证", "policy.residence.residence-permit"),
    ("摇号", "policy.vehicles.licence-lottery"),
    ("积水", "municipal.drainage.waterlogging"),
    ("下水道堵了", "municipal.drainage.sewer-blockage"),
    ("snow and ice", "emergency.weather.snow-ice"),
    ("外卖", "market.online.takeaway"),
]


@pytest.fixture(scope="module")
def catalog():
    from pathlib import Path

    from jiesu.catalog import load_catalog

    return load_catalog(Path(__file__).resolve().parent.parent / "jiesu" / "data" / "catalog")


def test_table_is_large_and_real(catalog):
    assert len(QUERIES) >= 40
    assert all(catalog.categories[leaf].is_leaf for _, leaf in QUERIES)
    assert sum(1 for q, _ in QUERIES if q.isascii()) >= 15 and sum(1 for q, _ in QUERIES if not q.isascii()) >= 15


@pytest.mark.parametrize("query,leaf", QUERIES, ids=[q for q, _ in QUERIES])
def test_expected_leaf_in_top_three(catalog, query, leaf):
    top = [c.code for c in catalog.search_categories(query, 3)]
    assert leaf in top, f"{query!r}: {top}"


def test_two_character_chinese_ranks_the_named_leaves_first(catalog):
    # 垃圾 is two characters, below the trigram's three: matched by LIKE, the name weighted highest
    hits = catalog.category_hits("垃圾")
    assert [c.code.split(".")[1] for c in hits.keys[:4]] == ["garbage"] * 4
    assert all("垃圾" in " ".join([*c.name.values(), *c.keywords]) or "垃圾" in c.code for c in hits.keys[:4])


def test_every_leaf_of_the_default_catalog_has_keywords_in_both_languages(catalog):
    for cat in catalog.categories.values():
        if cat.is_leaf:
            words = " ".join(map(str, cat.keywords))
            assert any("\u4e00" <= ch <= "\u9fff" for ch in words), cat.code
            assert any(ch.isascii() and ch.isalpha() for ch in words), cat.code


def test_the_name_weighs_more_than_keywords_and_cut_is_reported():
    index = TextIndex({"name": 10, "keywords": 1})
    index.add("a", name="parking fees", keywords="noise")
    index.add("b", name="noise", keywords="parking")
    index.add("c", name="street noise", keywords="")
    assert index.search("noise").keys[0] == "b"
    assert index.search("parking").keys == ["a", "b"]
    hits = index.search("noise", limit=1)
    assert hits.keys == ["b"] and hits.total == 3 and hits.cut
    assert index.search("zzzz").keys == [] and not index.search("zzzz").cut
    # a typo still finds the word by its shared trigrams; a one-letter query uses LIKE
    assert index.search("parkng").keys[0] == "a"
    assert set(index.search("s").keys) == {"a", "b", "c"}


def test_catalog_search_command_ranks_and_says_when_cut(run):
    result = run("catalog", "categories", "--search", "loud music bar", "--limit", "3", check=False)
    lines = result.stdout.splitlines()
    assert lines[2].split()[0] == "env.noise.commercial-noise"
    assert len(lines) == 5
    assert "note: showing the best 3 of" in result.stderr
    whole = run("catalog", "categories", "--search", "KTV", check=False)
    assert "showing the best" not in whole.stderr
    assert run("catalog", "categories", "--search", "qqqxxx", check=False).stderr.startswith("note: no category matches")


def test_a_searched_catalog_still_pickles_for_worker_processes(catalog):
    import pickle

    first = catalog.search_categories("垃圾")[0].code
    clone = pickle.loads(pickle.dumps(catalog))
    assert clone.search_categories("垃圾")[0].code == first == "env.garbage.unregulated-collection"
