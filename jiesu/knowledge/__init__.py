"""Knowledge (政策问答): policy Q&A entries an operator can answer a call with.

An entry is a third kind of versioned record next to cases and themes: one YAML file per entry,
`knowledge/<OFFICE>-K<NNNN>.yaml`, an event list that is the truth and a state block projected
from it, merged by the same driver and committed one operation at a time (DESIGN §8). Every
`new` or `edit` event carries the entry's whole text, so version N is the N-th of them and the
exact answer given on a call can be read back after the entry changed.

- `record`: ids, paths, the transition table, the projection and versions;
- `files`: finding, reading and writing entry files;
- `ops`: the operations (validate → write → commit) and answering a call from an entry;
- `search`: the full-text index (SQLite FTS5, trigram) and ranked search;
- `usage`: how many calls each entry answered and how many came back;
- `check`: what `verify` finds wrong in an entry file;
- `examples`: the example entries shipped with the default catalog.
"""
