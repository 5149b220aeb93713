"""jiesu — a citizen service-request office in a git repository.

Every request is received, dispatched, handled and evaluated (接 · 派 · 办 · 评); each case is
one YAML file and every change is one git commit, so the history is the audit trail.
"""

__version__ = "0.1.0"
