"""The package's layers: each folder is one layer, and no module imports a module of a higher layer."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zgcsim"
# lowest first; a module may import its own layer and the layers below it
LAYERS = {
    "errors": 0,
    "inputs": 1,
    "model": 2,
    "running": 3,
    "reporting": 3,
    "calibration": 4,
    "experiments": 4,
    "dashboard": 5,
    "cli": 6,
}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("zgcsim."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("zgcsim."))
    return found


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__")


def test_every_folder_has_a_layer():
    """A new folder or top-level module must be placed in the layer order before it can be used."""
    names = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in SOURCES}
    assert names <= set(LAYERS), f"not in LAYERS: {sorted(names - set(LAYERS))}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_upward(path):
    """Each import goes to the module's own layer or a lower one."""
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    upward = [m for m in _imports(path) if LAYERS.get(_layer(m), -1) > LAYERS[own]]
    assert not upward, f"{path.relative_to(PACKAGE)} imports upward: {upward}"
