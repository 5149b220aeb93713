"""Themes (每月一题, "one issue per month"): frequent problems run as governance records.

A theme is a second kind of versioned record next to the case: one YAML file per theme under
`themes/YYYY/`, an event list that is the truth and a state block projected from it, merged by
the same driver and committed one operation at a time (DESIGN §8).

- `record`: ids, paths, the transition table and the projection;
- `files`: finding, reading and writing theme files;
- `scope`: which requests belong to a theme;
- `ops`: the operations (validate → write → commit);
- `results`: the measured results, computed from the index, never stored;
- `check`: what `verify` finds wrong in a theme file;
- `demo`: the two themes of `jiesu demo`.
"""
