"""The catalog cache in .jiesu/catalog.pickle is read back only when the same code made it."""

from __future__ import annotations

import pickle
import sys

from conftest import jiesu_proc

from jiesu import __version__
from jiesu.store import Store


def test_a_pickle_from_other_catalog_code_is_rebuilt_not_read(store):
    key = store.catalog_key
    # what an older jiesu wrote: the same catalog content and version, but no stamp of the code,
    # holding an object of another shape (as a pickle of an older class layout would be)
    stale = (f"{key}|{__version__}|{sys.version}", {"not": "a catalog"})
    cache = store.jiesu_dir / "catalog.pickle"
    cache.write_bytes(pickle.dumps(stale))
    result = jiesu_proc(store.root, "catalog", "types", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "complaint" in result.stdout
    stamp, catalog = pickle.loads(cache.read_bytes())
    assert stamp != stale[0] and stamp.startswith(stale[0] + "|")
    assert not isinstance(catalog, dict)
    # and the rebuilt cache is the one a fresh process reads
    assert Store(store.root).catalog.types.keys() == catalog.types.keys()
