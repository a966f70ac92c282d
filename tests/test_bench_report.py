from bench.report import update_section
from evaluation.report import markdown_table


def test_sections_are_replaced_in_place_and_others_kept(tmp_path):
    path = tmp_path / "benchmarks.md"
    update_section("a", "first A", path)
    update_section("b", "only B", path)
    update_section("a", "second A", path)
    text = path.read_text()
    assert "first A" not in text and text.index("second A") < text.index("only B")
    assert text.startswith("# Benchmarks")


def test_markdown_table():
    assert markdown_table(["x", "y"], [[1, 2]]) == "| x | y |\n|---|---|\n| 1 | 2 |"
