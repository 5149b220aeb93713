"""Interchange: bring other systems' service requests in (`import`), hand cases out (`export`).

An import reads a file through a *mapping* (`mapping.py`, YAML files in `mappings/`) into source
rows (`readers.py`), turns each row into the plan of a case — its intake record and the events
the row reproduces, with the anomalies found (`plans.py`) — adds missing agencies, areas and
request types to the catalog's import section (`catalog_section.py`) and writes the cases through
the ordinary operations, many per commit (`importer.py`). `export.py` writes CSV, JSONL and
Open311 GeoReport v2.
"""
