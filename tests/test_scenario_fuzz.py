"""Property: random edits of valid scenario files either validate or fail with one UserInputError line."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zgcsim.errors import UserInputError
from zgcsim.inputs.scenario import LIBRARY, Scenario, load_scenario

SOURCES = sorted(LIBRARY.glob("*.toml"))
# fragments a planner might type by mistake: TOML syntax, keys, numbers, dates, odd characters
FRAGMENTS = [
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    '"',
    "'",
    "#",
    ".",
    "\n",
    " ",
    "-",
    "[[events]]",
    "[levers.",
    "values",
    "2017-12-31",
    "2018-01-01",
    "2023-01-01",
    "2019-02-30",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "-1",
    "0",
    "12.5",
    "true",
    "\\u0000",
    "\\n",
    "parent",
    '= ""',
    '"../.."',
    "levers",
    "uncertain",
    "low",
    "high",
    "kind",
    "quarters",
    "firms",
    "sectors",
    "magnitude",
    "\u00e9",
    "\ufeff",
    "\t",
    "0x10",
    "99999999999999999999",
]


@st.composite
def edited_text(draw):
    text = draw(st.sampled_from(SOURCES)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "swap_lines", "number"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS) | st.text(max_size=5)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "replace":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at + draw(st.integers(1, 10)) :]
        elif kind == "swap_lines":
            lines = text.splitlines()
            if len(lines) > 1:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:  # replace the first number after the cursor by a random one
            rest = text[at:]
            digits = next((k for k, c in enumerate(rest) if c.isdigit()), None)
            if digits is not None:
                number = draw(st.integers(-(10**6), 10**6) | st.floats(allow_nan=True, allow_infinity=True))
                text = text[: at + digits] + repr(number) + text[at + digits + 1 :]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=edited_text(), as_bytes=st.booleans())
def test_random_edits_validate_or_fail_with_one_line(text, as_bytes):
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder)
        for source in SOURCES:  # parents must resolve as they do in the library
            shutil.copy(source, library / source.name)
        path = library / "edited.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if not as_bytes else text.encode("utf-16"))
        try:
            scenario = load_scenario(path)
        except UserInputError as err:
            line = err.one_line()
            assert "\n" not in line and "\r" not in line
            assert line.startswith(str(library)), line  # names the file
        else:
            assert isinstance(scenario, Scenario)
