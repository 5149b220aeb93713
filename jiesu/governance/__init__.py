"""Governance (未诉先办): signals computed from the index — stats, hot spots, address clusters,
repeat callers and possible duplicates — never stored on the cases themselves (DESIGN §8)."""
