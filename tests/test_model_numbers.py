"""Every behavioural number of the model lives in the parameter table: the model code holds no other float literal."""

import ast
from pathlib import Path

import zgcsim.model

MODEL = Path(zgcsim.model.__file__).parent

# Float literals the model code may hold, and why. Anything else is a behavioural number and belongs in
# zgcsim/data/parameters.toml (value, range, unit, kind, source), read through the parameter dict.
ALLOWED = {
    0.0: "zero",
    1.0: "one: identities, 'no effect' multipliers, unit shares",
    0.5: "a half (mid-points, sqrt of a quarter, 'lever on' tests)",
    0.25: "a quarter of a year (context.QUARTER)",
    10.0: "unit conversion: 1 bn US$ = 10 x rate 亿元",
    100.0: "unit conversion: percent, and 1 m US$ = rate / 100 亿元",
    1e4: "unit conversion: 万元 per 亿元",
    1e8: "unit conversion: 元 per 亿元",
    # numerical guards: floors that keep logs, ratios and powers finite; they change no result that matters
    1e-300: "guard",
    1e-12: "guard",
    1e-9: "guard",
    1e-6: "guard",
    1e-3: "guard",
}
# one module-specific exception: a cut-off just above the largest firm when no firm besides the Fortune
# firms is needed on the Global Innovation 1000
ALLOWED_IN = {("anchors", 1.01)}


def float_literals(folder: Path = MODEL) -> list[tuple[str, int, float]]:
    """Every float literal in the modules of ``folder``: (module, line, value), in file and line order."""
    found = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and type(node.value) is float:
                found.append((path.stem, node.lineno, node.value))
    return sorted(found)


def unlisted_literals(folder: Path = MODEL) -> list[tuple[str, int, float]]:
    """The float literals of ``folder`` that are neither on the allow-list nor a listed module exception."""
    return [(m, line, v) for m, line, v in float_literals(folder) if v not in ALLOWED and (m, v) not in ALLOWED_IN]


def test_the_model_code_holds_no_behavioural_float_literal():
    unlisted = unlisted_literals()
    assert not unlisted, f"move these numbers to zgcsim/data/parameters.toml: {unlisted}"


def test_the_literal_finder_sees_a_number_outside_the_allow_list(tmp_path):
    (tmp_path / "rule.py").write_text("RATE = 0.03 * 2\nHALF = 0.5\n", encoding="utf-8")
    assert unlisted_literals(tmp_path) == [("rule", 1, 0.03)]
    assert len(float_literals(tmp_path)) == 2
