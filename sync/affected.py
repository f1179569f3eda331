"""Which suppliers an incremental scoring run scores again, and why leaving the others alone is exact.

A supplier's cards, risk signals and plans follow from its tallies (what its records give each month),
the settings, the as-of, the state of its plans, and its *context*: its Account, and what the whole
population's spend gives it (its segment, and the sourcing conditions: single source, concentration of
its category's spend). A run that keeps suppliers has the as-of, measurement basis and settings of the
last run (else every supplier is scored), so a supplier needs scoring again only when
- its tallies changed: a touched month tallied afresh differs from the one stored;
- an operator changed one of its plans, its Account changed, or the last run closed one of its plans
  (an input change);
- or its context's fingerprint differs from the one stored when it was last scored (its segment moved with
  the population's spend, its category's concentration crossed the limit, it is new).

Any other supplier's inputs are those it was last scored with, so a full run would build the cards it has
stored, find the conditions it has open (reconciling changes nothing: a signal that stays keeps its row),
and run the action loop over its plans as that run left them. The loop reads the clock only to stamp what it
changes, and a second pass over the same inputs changes nothing: judged milestones are no longer pending,
an overdue escalation is recorded on the plan, a plan at target is already `verifying` with the month in
`sustained` (or already back `in_progress`), a repeated signal is already linked. Its one step that a
second pass would not find done is closing a plan: a critical signal that still holds then opens a new one,
so closing marks an input change and the next run scores that supplier. Leaving the others alone therefore
gives exactly what a full run gives.

Peer benchmarks still need every member's numbers in each slice taken again: a kept supplier's come from its
stored cards, in the slices where it has a card now (a tally in the window's months; a stored card of a
window with no activity left is not current and counts in no group).
"""
import hashlib
import json
from dataclasses import asdict

from config import Settings
from domain.suppliers import SupplierProfile
from mapping.risks import sourcing_conditions
from mapping.scorecards import window_periods
from mapping.segments import Segment
from store.benchmarks import Slice


def context_fingerprint(settings: Settings, supplier: str, profile: SupplierProfile | None, segment: Segment | None,
                        category_share: float | None) -> str:
    """What a supplier's cards, signals and plans read besides its tallies, plans and the settings: its Account,
    its quadrant and SRM level, and the sourcing conditions its spend share and single-sourced materials give
    it (the share itself moves with every order of its category; only a condition over the limit is read)."""
    category = profile.category if profile else None
    read = [asdict(profile) if profile else None, [segment.quadrant, segment.srm_level] if segment else None,
            [asdict(c) for c in sourcing_conditions(supplier, segment, category_share, category, settings.risks)]]
    return hashlib.sha256(json.dumps(read, sort_keys=True).encode()).hexdigest()


def rescored(suppliers: list[str], changed_inputs: set[str], contexts: dict[str, str],
             stored: dict[str, str]) -> set[str]:
    """The suppliers to score again whatever their tallies: an input of theirs changed, or their context."""
    return {supplier for supplier in suppliers
            if supplier in changed_inputs or contexts[supplier] != stored.get(supplier)}


class Slices:
    """The slices (period, window) of a run, with the months each one's cards read: those of its window
    (a card exists when one of them has a tally), and those of the monthly scores its velocity is taken over."""

    def __init__(self, periods: list[str], windows: list[int], velocity_months: int) -> None:
        self.windows = {(period, length): frozenset(window_periods(period, length))
                        for period in periods for length in windows}
        self.reads = {(period, length): frozenset(window_periods(period, max(length, velocity_months)))
                      for period, length in self.windows}

    def live(self, tallied: set[str]) -> list[Slice]:
        """The slices where a supplier with tallies of the months `tallied` has a card."""
        return [at for at, months in self.windows.items() if not months.isdisjoint(tallied)]

    def reached(self, changed: set[str]) -> set[Slice]:
        """The slices whose cards read a tally of the months `changed`."""
        return {at for at, months in self.reads.items() if not months.isdisjoint(changed)}
