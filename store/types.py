"""Exact decimals on every database: stored as scaled integers, read back as `Decimal`."""
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator


class ScaledDecimal(TypeDecorator):
    """A decimal with `scale` places kept as an integer, so SQLite sums are as exact as PostgreSQL's."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.factor = Decimal(10) ** scale

    def process_bind_param(self, value: Decimal | None, dialect: object) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self.factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: object) -> Decimal | None:
        return None if value is None else Decimal(value) / self.factor


Quantity = ScaledDecimal(3)
Price = ScaledDecimal(6)
