"""Every row a scoring run writes, comparable between two databases."""
import json

from sqlalchemy import select

from store.tables import metadata

WRITTEN = ("scorecards", "kpi_measurements", "tallies", "scoring_state", "risk_signals", "corrective_actions",
           "action_audit", "outbox", "supplier_sequences", "benchmarks", "supplier_contexts")


def stored(engine) -> dict[str, list[str]]:
    """Every row a run writes, without surrogate ids and event ids (random), as sorted text: each event
    with its subject's sequence number, so the events of a subject compare in order."""
    found = {}
    with engine.connect() as connection:
        for name in WRITTEN:
            rows = []
            for row in connection.execute(select(metadata.tables[name])).mappings():
                row = {key: value for key, value in row.items() if not (key == "id" and name != "corrective_actions")}
                if name == "outbox":
                    envelope = json.loads(row.pop("envelope"))
                    row["envelope"] = {key: value for key, value in envelope.items() if key != "id"}
                rows.append(repr(sorted(row.items())))
            found[name] = sorted(rows)
    return found
