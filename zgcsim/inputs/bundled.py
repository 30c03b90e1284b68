"""Where the installed package keeps the scenario library and the committed calibration.

Both live at the top of the repository (``scenarios/``, ``calibration/``), where the design card puts them, and
``pyproject.toml`` maps them into the package as ``zgcsim._library`` and ``zgcsim._calibration``, so a wheel or a
regular install carries them and the import system finds them inside the installed package. An editable install
cannot map them (setuptools' editable import hook does not reach nested folders without an ``__init__.py``), and
there the checkout's own folders are used, which are the same files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

LIBRARY_PACKAGE = "zgcsim._library"
CALIBRATION_PACKAGE = "zgcsim._calibration"
_REPOSITORY = Path(__file__).resolve().parent.parent.parent


def bundled_folder(package: str, repository_folder: str) -> Path:
    """The folder a data package resolves to, as a filesystem path.

    Args:
        package: the data package's import name (``zgcsim._library`` or ``zgcsim._calibration``).
        repository_folder: its folder at the top of a source checkout, used when the package cannot be found
            (an editable install, or a checkout on ``PYTHONPATH``).

    Returns:
        The folder's path; it may not exist when neither is present.
    """
    spec = importlib.util.find_spec(package)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if Path(location).is_dir():  # an import hook may list placeholders that are not folders
            return Path(location)
    return _REPOSITORY / repository_folder
