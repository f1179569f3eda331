"""Pure numbers: KPI measurements, scores and grades. No I/O, no clock: `as_of` is an argument."""
