"""Apps depend one way: backoffice.core <- accounts <- library <- reports <- the project.

Read from the source (every import, including those inside functions), so a shortcut
that would tie two apps in a cycle fails here before it ships.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each layer may not import: anything above it.
FORBIDDEN = {
    "backoffice/core": ("accounts", "library", "reports", "backoffice"),
    "accounts": ("library", "reports", "backoffice"),
    "library": ("reports", "backoffice"),
    "reports": ("backoffice",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def offending_imports(layer: str) -> list[str]:
    found = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top not in FORBIDDEN[layer]:
                continue
            if module == "backoffice.core" or module.startswith("backoffice.core."):
                continue  # the shared layer, below every app
            found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_one_above_it(layer):
    assert offending_imports(layer) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # The rule itself must be able to fail: a module of accounts importing library.
    fake_root = tmp_path
    (fake_root / "accounts").mkdir()
    (fake_root / "accounts" / "bad.py").write_text("def f():\n    from library import models\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    assert offending_imports("accounts") == ["accounts/bad.py imports library"]
