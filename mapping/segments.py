"""Segmentation: spend share × supply risk → Kraljic quadrant → SRM level; a tier on the Account overrides.

- spend: Σ net price ÷ price unit × quantity over items ordered in the 12 months up to `as_of`
  (amounts are summed as ordered: one reporting currency is assumed);
- high spend: the supplier belongs to the largest suppliers that together make up `pareto_share`
  of all spend (ABC analysis, class A; the supplier that crosses the line is in);
- supply risk (0–1): the mean of the components known for the supplier: the share of its spend on
  materials no other supplier delivered (single source), its CRM risk rating (mapped by config),
  and the share of its spend on critical materials (when any are configured); high at ≥ `risk_high`;
- quadrant: strategic (high, high), leverage (high spend, low risk), bottleneck (low spend, high
  risk), routine (low, low) → SRM level strategic, performance-managed, performance-managed, basic.
"""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from config.settings import SegmentationSettings
from domain.deliveries import OrderedItem
from domain.suppliers import SupplierProfile

LEVELS = {"strategic": "strategic", "leverage": "performance-managed", "bottleneck": "performance-managed",
          "routine": "basic"}


@dataclass(frozen=True)
class Segment:
    quadrant: str
    srm_level: str
    spend: float
    spend_share: float
    supply_risk: float | None
    single_source_share: float
    tier_override: bool = False


MaterialSpend = dict[str, dict[str, Decimal]]  # supplier → material → spend: all segmentation reads of the items


def spend_by_material(items: Iterable[OrderedItem]) -> MaterialSpend:
    return material_spend((item.supplier_id, item.material, item.unit_price * item.quantity) for item in items)


def material_spend(parts: Iterable[tuple[str, str, Decimal]]) -> MaterialSpend:
    """Spend per supplier and material, from (supplier, material, spend) parts."""
    spend: MaterialSpend = {}
    for supplier, material, amount in parts:
        materials = spend.setdefault(supplier, {})
        materials[material] = materials.get(material, Decimal(0)) + amount
    return spend


def spend_by_supplier(items: Iterable[OrderedItem]) -> dict[str, Decimal]:
    return supplier_spend(spend_by_material(items))


def supplier_spend(spend: MaterialSpend, materials: set[str] | None = None) -> dict[str, Decimal]:
    """Each supplier's spend (on `materials` only, when given)."""
    return {supplier: sum((amount for material, amount in mine.items() if materials is None or material in materials),
                          Decimal(0)) for supplier, mine in spend.items()}


def single_sourced(spend: MaterialSpend) -> dict[str, Decimal]:
    """Per supplier, its spend on materials that no other supplier delivered in the same items."""
    suppliers_of: dict[str, int] = defaultdict(int)
    for mine in spend.values():
        for material in mine:
            suppliers_of[material] += 1
    return supplier_spend(spend, {material for material, count in suppliers_of.items() if count == 1})


def segment_suppliers(items: Iterable[OrderedItem], profiles: dict[str, SupplierProfile],
                      settings: SegmentationSettings) -> dict[str, Segment]:
    return segments_of(spend_by_material(items), profiles, settings)


def segments_of(by_material: MaterialSpend, profiles: dict[str, SupplierProfile],
                settings: SegmentationSettings) -> dict[str, Segment]:
    """Segments from the spend per supplier and material of the items ordered in the last 12 months."""
    spend = supplier_spend(by_material)
    total = sum(spend.values(), Decimal(0))
    if total <= 0:
        return {}
    high_spend, running = set(), Decimal(0)
    for supplier, amount in sorted(spend.items(), key=lambda pair: (-pair[1], pair[0])):
        if running < total * Decimal(str(settings.pareto_share)):
            high_spend.add(supplier)
        running += amount
    single = single_sourced(by_material)
    critical = set(settings.critical_materials)
    critical_spend = supplier_spend(by_material, critical)
    segments = {}
    for supplier, amount in spend.items():
        single_share = float(single.get(supplier, 0) / amount) if amount > 0 else 0.0
        components = [single_share]
        profile = profiles.get(supplier)
        rating = (profile.risk_rating or "").strip().lower() if profile else ""
        if rating in settings.risk_ratings:
            components.append(settings.risk_ratings[rating])
        if critical:
            components.append(float(critical_spend.get(supplier, 0) / amount) if amount > 0 else 0.0)
        risk = sum(components) / len(components)
        high_risk = risk >= settings.risk_high
        quadrant = {(True, True): "strategic", (True, False): "leverage", (False, True): "bottleneck",
                    (False, False): "routine"}[(supplier in high_spend, high_risk)]
        tier = (profile.tier or "").strip().lower() if profile else ""
        override = settings.tier_levels.get(tier)
        segments[supplier] = Segment(quadrant=quadrant, srm_level=override or LEVELS[quadrant], spend=float(amount),
                                     spend_share=float(amount / total), supply_risk=round(risk, 6),
                                     single_source_share=round(single_share, 6), tier_override=override is not None)
    return segments


def category_shares(spend: dict[str, Decimal], categories: dict[str, str | None]) -> dict[str, float]:
    """Each supplier's share of its category's spend; suppliers without a category have none."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for supplier, amount in spend.items():
        if categories.get(supplier):
            totals[categories[supplier]] += amount
    return {supplier: float(amount / totals[categories[supplier]]) for supplier, amount in spend.items()
            if categories.get(supplier) and totals[categories[supplier]] > 0}
