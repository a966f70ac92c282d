"""The import direction docs/architecture.md states, checked on the code: every import of every product module
(at the top or inside a function), read with ast, goes from a part to one the part may use.

    schema ◀ ingest ◀ index ◀ qa ◀ evaluation ◀ cli.py;  qa ◀ ui ◀ app.py;  settings.py read by all

bench/ and tests/ may import the product; no product module imports them.
"""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BELOW = {  # each part of the product and the parts it may import (besides itself)
    "schema": set(),
    "settings": {"schema"},
    "ingest": {"schema", "settings"},
    "index": {"schema", "settings", "ingest"},
    "qa": {"schema", "settings", "ingest", "index"},
    "evaluation": {"schema", "settings", "ingest", "index", "qa"},
    "ui": {"schema", "settings", "ingest", "qa"},  # the pipeline and its Collection are its way to the index
    "app": {"schema", "settings", "ingest", "qa", "ui"},
    "cli": {"schema", "settings", "ingest", "qa", "evaluation"},  # likewise
}
NOT_PRODUCT = {"bench", "tests"}  # they may import the product; the product never imports them


def product_modules(root: Path) -> list[Path]:
    """Every .py file of the product: the top-level modules and the files of the top-level packages (folders with an
    __init__.py, so that a virtualenv or build folder is no part), not bench/ or tests/."""
    packages = [folder for folder in root.iterdir() if (folder / "__init__.py").is_file()
                and folder.name not in NOT_PRODUCT]
    return sorted([*root.glob("*.py"), *(path for package in packages for path in package.rglob("*.py"))])


def part_of(path: Path, root: Path) -> str:
    """The top-level part a file belongs to: its package, or the module's own name ("cli" for cli.py)."""
    first = path.relative_to(root).parts[0]
    return first.removesuffix(".py")


def imported_modules(path: Path) -> list[str]:
    """The absolute names of every module `path` imports, wherever the import stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [name for node in ast.walk(tree) for name in names_imported(node, path.parent.name)]


def names_imported(node: ast.AST, package: str) -> list[str]:
    """The modules an import statement names; a relative one (`from . import x`) is within `package`."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module if node.level == 0 else ".".join(filter(None, (package, node.module)))]
    return []


def wrong_imports(root: Path, below: dict[str, set[str]] = BELOW) -> list[tuple[str, str]]:
    """(module, imported module) for every import between parts that goes against `below`; a part missing from
    `below` is reported too, so a new package gets its place in the documented order."""
    parts = {part_of(path, root) for path in product_modules(root)} | NOT_PRODUCT
    wrong = []
    for path in product_modules(root):
        part = part_of(path, root)
        module = path.relative_to(root).as_posix()
        if part not in below:
            wrong.append((module, f"(no place in the import order for '{part}')"))
            continue
        for name in imported_modules(path):
            target = name.split(".")[0]
            if target in parts and target != part and target not in below[part]:
                wrong.append((module, name))
    return wrong


def test_imports_follow_the_documented_direction():
    assert wrong_imports(ROOT) == [], "imports against the order in docs/architecture.md"


def test_every_product_part_has_its_place_and_the_documented_order_names_them():
    parts = {part_of(path, ROOT) for path in product_modules(ROOT)}
    assert parts == set(BELOW)
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    order = next(paragraph for paragraph in text.split("\n\n") if paragraph.startswith("Imports go one way"))
    assert [part for part in sorted(parts) if f"`{part}`" not in order and f"`{part}.py`" not in order] == []


def test_evaluation_imports_the_project_at_the_top():
    """Its dependencies are visible where a reader looks for them (heavy third-party libraries may wait)."""
    project = set(BELOW) | NOT_PRODUCT
    hidden = [(path.name, node.lineno) for path in sorted((ROOT / "evaluation").glob("*.py"))
              for function in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
              if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) for node in ast.walk(function)
              if any(name.split(".")[0] in project for name in names_imported(node, "evaluation"))]
    assert hidden == []


def test_benches_run_as_modules_from_the_root_without_path_hacks():
    """`python -m bench.NAME` finds the product from the repository root; no bench edits sys.path to find it."""
    benches = sorted((ROOT / "bench").glob("*.py"))
    assert [path.name for path in benches if "sys.path" in path.read_text(encoding="utf-8")] == []
    names = [f"bench.{path.stem}" for path in benches if path.stem != "__init__"]
    imported = subprocess.run([sys.executable, "-c", f"import {', '.join(names)}"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr


# -- the checker itself, on a tiny made-up tree -----------------------------------------------------------------

def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


GOOD = {"schema.py": "", "settings.py": "from schema import UserError\n",
        "ingest/__init__.py": "", "ingest/loaders.py": "import schema\nfrom settings import Settings\n",
        "index/__init__.py": "", "index/store.py": "from ingest.loaders import x\nfrom . import lexical\n",
        "index/lexical.py": "", "qa/__init__.py": "", "qa/pipeline.py": "import numpy\nfrom index.store import X\n",
        "evaluation/__init__.py": "", "evaluation/run.py": "from qa.pipeline import QAPipeline\n",
        "ui/__init__.py": "", "ui/chat.py": "from qa import answer\n",
        "app.py": "import ui.chat\n", "cli.py": "def eval():\n    from evaluation import run\n",
        "bench/__init__.py": "", "bench/run.py": "import app, cli, qa.pipeline\n",
        "tests/test_x.py": "import bench.run\n", "venv/lib/site.py": "import bench\n"}  # venv/: no package


def test_a_tree_that_follows_the_order_passes(tmp_path):
    assert wrong_imports(write(tmp_path, GOOD)) == []


@pytest.mark.parametrize("module, text, expected", [
    ("qa/evaluate.py", "def table():\n    from bench.report import markdown_table\n", "bench.report"),
    ("index/search.py", "from qa.pipeline import QAPipeline\n", "qa.pipeline"),
    ("schema.py", "import settings\n", "settings"),
    ("ui/library.py", "from index.build import delete_articles\n", "index.build"),
    ("cli.py", "import index.embedders\n", "index.embedders"),
    ("ingest/loaders.py", "import tests.helpers\n", "tests.helpers"),
    ("qa/answer.py", "from evaluation.metrics import contains_answer\n", "evaluation.metrics"),
    ("ui/chat.py", "import evaluation\n", "evaluation"),
    ("plugins/__init__.py", "import qa\n", "(no place in the import order for 'plugins')"),
])
def test_an_import_against_the_order_is_caught_wherever_it_stands(tmp_path, module, text, expected):
    root = write(tmp_path, {**GOOD, module: GOOD.get(module, "") + text})
    assert wrong_imports(root) == [(module, expected)]
