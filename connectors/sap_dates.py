"""SAP's date-times as the calendar dates srm-bridge measures with.

A delivery date is a `LOCAL_DateTime`: an `xsd:dateTime` with a `timeZoneCode` attribute naming
the plant's time zone. Written without an offset it is the plant's wall-clock time, and its date
is the date as written; written with `Z` or an offset it is an instant, and its date is the date
in the named time zone (midnight in Frankfurt is 22:00 the day before in UTC in summer). Time
zone codes are SAP's (`CET`, `EST`, …, mapped by `sap.time_zones`), IANA names, or `UTC±H`.
"""
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$",
                        re.ASCII)
_UTC_OFFSET = re.compile(r"^UTC([+-])(\d{1,2})(?::?(\d{2}))?$", re.ASCII)


class BadValue(ValueError):
    pass


class LocalDates:
    """Converts SAP date-times to plant-local calendar dates."""

    def __init__(self, time_zones: dict[str, str], plant_zone: str) -> None:
        self.codes = time_zones
        self.plant = ZoneInfo(plant_zone)
        self._zones: dict[str, tzinfo] = {}
        self._days: dict[tuple[str, str | None], str] = {}  # dates repeat: a page holds a few hundred distinct ones

    def zone(self, code: str) -> tzinfo:
        known = self._zones.get(code)
        if known is None:
            known = self._zones[code] = self._resolve(code)
        return known

    def _resolve(self, code: str) -> tzinfo:
        offset = _UTC_OFFSET.match(code)
        if offset:
            sign, hours, minutes = offset.groups()
            delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
            return timezone(-delta if sign == "-" else delta)
        try:
            return ZoneInfo(self.codes.get(code, code))
        except (ZoneInfoNotFoundError, ValueError):
            raise BadValue(f"time zone code {code!r} is unknown (map it to an IANA zone in sap.time_zones)") from None

    def day(self, text: str, zone_code: str | None) -> str:
        """The ISO calendar date of `text` in the zone `zone_code` (the plant's zone when there is none)."""
        known = self._days.get((text, zone_code))
        if known is None:
            known = self._remember((text, zone_code), self._day(text, zone_code))
        return known

    def _remember(self, key: tuple[str, str | None], day: str) -> str:
        if len(self._days) < 100_000:
            self._days[key] = day
        return day

    def _day(self, text: str, zone_code: str | None) -> str:
        found = _DATE_TIME.match(text)
        if not found:
            raise BadValue(f"{text!r} is not an xsd:dateTime")
        year, month, day, hour, minute, second, fraction, offset = found.groups()
        try:
            if offset is None:
                return date(int(year), int(month), int(day)).isoformat()
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                              int((fraction or "0")[:6].ljust(6, "0")), tzinfo=_offset(offset))
        except ValueError as exc:
            raise BadValue(f"{text!r} is not a real date and time: {exc}") from None
        zone = self.zone(zone_code) if zone_code else self.plant
        return moment.astimezone(zone).date().isoformat()

    def plant_day(self, text: str) -> str:
        """The plant's calendar date at the instant `text` (UTC when written without an offset)."""
        known = self._days.get((text, "<plant>"))
        if known is None:
            found = _DATE_TIME.match(text)
            instant = text + "Z" if found and found.group(4) and not found.group(8) else text
            known = self._remember((text, "<plant>"), self.day(instant, None))
        return known


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return timezone.utc
    delta = timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))
    return timezone(-delta if text[0] == "-" else delta)
