"""The web console (read-only pages) and the supplier scorecard report, with their templates and charts.

Reads through `store/` and judges with `mapping/`; never writes. `scheduler/` serves or mounts it.
"""
