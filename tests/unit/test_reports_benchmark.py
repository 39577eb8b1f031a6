"""benchmarks/reports.py without a database: the events it sends and the table it writes."""

from __future__ import annotations

from datetime import UTC, datetime

from benchmarks.reports import TENANT, Timing, cases, event_of

TODAY = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)


def test_every_case_is_an_admin_figure_of_the_benchmark_tenant_with_its_parameters_and_accept():
    found = cases(TODAY)
    assert {c.handler for c in found} == {
        "admin.get_stats.handler",
        "admin.get_reports.handler",
        "admin.get_analytics.handler",
    }
    for case in found:
        evt = event_of(case, TENANT)
        assert evt["requestContext"]["authorizer"]["tenant_id"] == str(TENANT)
        assert evt["requestContext"]["authorizer"]["role"] == "admin"
        assert evt["headers"]["Accept"] == case.accept
        assert (evt["queryStringParameters"] or {}) == case.params


def test_the_longest_ranges_stay_within_the_bound():
    for case in cases(TODAY):
        if "date_from" in case.params:
            first = datetime.fromisoformat(case.params["date_from"]).date()
            last = datetime.fromisoformat(case.params["date_to"]).date()
            assert (last - first).days + 1 <= 366


def test_a_timing_row_has_the_medians_the_tail_and_the_cached_median():
    row = Timing(computed=[10.0, 30.0, 20.0], cached=[1.0, 3.0, 2.0]).row("stats")
    assert row == "| stats | 20.0 | 30.0 | 30.0 | 2.0 |"
