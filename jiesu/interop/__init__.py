"""Interchange: bring other systems' service requests in (`import`), hand cases out (`export`).

An import reads a file through a *mapping* (`mapping.py`, YAML files in `mappings/`; checked
against the file's header and the store's catalog before any row is read) into source rows
(`readers.py`: CSV, Open311 JSON or XML, JSONL), turns each row into the plan of a case — its
intake record, with the due time only where the source or the mapping's rules set one, and the
events the row reproduces, with the anomalies found (`plans.py`) — adds missing agencies, areas
and request types to the catalog's import section (`catalog_section.py`) and writes the cases,
many per commit (`importer.py`). A row whose case exists adds what changed as new events
(`updates.py`). `export.py` writes CSV, JSONL and Open311 GeoReport v2 (JSON and XML), streaming.
"""
