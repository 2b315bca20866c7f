"""docs/operations.md's metrics table is generated from the catalogue and must not drift from it."""

from liveness_api import metrics_catalogue as catalogue
from tools import metrics_doc


def test_the_committed_table_is_the_generated_one() -> None:
    document = metrics_doc.OPERATIONS_DOC.read_text()

    assert metrics_doc.with_table(document) == document, "run: python -m tools.metrics_doc"
    assert metrics_doc.main(["--check"]) == 0


def test_the_table_lists_every_catalogued_metric_with_its_unit_and_dimension_values() -> None:
    table = metrics_doc.metrics_table()

    for metric in catalogue.ALL_METRICS:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{metric.name}` |"))
        assert f"| {metric.unit} |" in row
        for name, allowed in metric.dimensions:
            assert f"`{name}`" in row
            for value in allowed:
                assert f"`{value}`" in row


def test_a_drifted_table_is_detected() -> None:
    document = metrics_doc.OPERATIONS_DOC.read_text()
    drifted = document.replace("| `SessionCreated` |", "| `SessionsCreated` |")

    assert drifted != document
    assert metrics_doc.with_table(drifted) == document
