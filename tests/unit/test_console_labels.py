"""Words the console and the report use: every KPI named, assessments the right way round, grade bands."""
from config import KPI_KEYS, load_settings
from console.access import is_loopback
from console.labels import KPI_LABELS, assessment, grade_bands

SCALES = load_settings().scoring.kpis


def test_every_kpi_has_a_name_and_a_unit():
    assert list(KPI_LABELS) == list(KPI_KEYS)


def test_assessment_follows_the_direction_of_the_kpi():
    otd, ppm = SCALES["otd_pct"], SCALES["quality_ppm"]  # 70 → 98 higher better; 5000 → 500 lower better
    assert [assessment(v, otd)[0] for v in (99, 80, 50, None)] == [
        "meets target", "between threshold and target", "worse than threshold", "no activity"]
    assert [assessment(v, ppm)[0] for v in (100, 2000, 9000)] == [
        "meets target", "between threshold and target", "worse than threshold"]


def test_grade_bands_read_from_the_best():
    assert [(grade, span) for grade, span, _ in grade_bands({"A": 90, "B": 75, "C": 60, "D": 0})] == [
        ("A", "90 and above"), ("B", "75 to below 90"), ("C", "60 to below 75"), ("D", "0 to below 60")]


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.1.2.3", "console.example.com"]))
