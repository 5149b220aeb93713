"""The office's catalog: the model (`model.py`) and its loading from `catalog/*.yaml` (`load.py`).

Importers use the names re-exported here; each loader module reads one catalog file.
"""

from jiesu.catalog.load import load_catalog  # noqa: F401
from jiesu.catalog.model import (  # noqa: F401
    CATEGORY_CODE,
    IMPORT_FILE,
    LOCAL_KINDS,
    NO_LIMIT,
    SATISFACTION_LEVELS,
    SLUG,
    UNIT_ID,
    UNIT_LEVELS,
    Calendar,
    Catalog,
    TimeClass,
)
from jiesu.store import use_catalog_loader

use_catalog_loader(load_catalog)  # the store reads its catalog through the rules' loader
