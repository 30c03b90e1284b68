"""The enterprise population as arrays: one row per firm, one array per state variable.

Tens of thousands of firms cannot each be a Python object stepped every quarter, so their state lives in
numpy arrays and their behaviour (one module per behaviour in ``zgcsim/model/``) runs on whole arrays at once.
Every firm is still an individual: it has a permanent ``uid``, its own state and its own random draws, and
``FirmView`` shows one firm as an object with attributes, the way a Mesa agent is inspected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

GRANT_PIPELINE_QUARTERS = 8  # longest application-to-grant lag held, in quarters (priors.md row 23: ~20 months)


def grant_lag(params: Mapping[str, float]) -> int:
    """The application-to-grant lag in whole quarters, at most the pipeline's length."""
    return min(int(round(params["grant_lag_quarters"])), GRANT_PIPELINE_QUARTERS)


# name -> dtype; every array in a FirmTable has one row per firm
FIELDS: dict[str, Any] = {
    "uid": np.int64,
    "sector": np.int16,
    "park": np.int16,  # index into inputs.parks.PARKS (model/parks.py)
    "age": np.float64,  # years
    "manufacturer": np.bool_,  # at least half of revenue from manufacturing (super-deduction 2021 rule)
    "revenue": np.float64,  # 亿元 per year, current annualised rate
    "employees": np.float64,
    "va_ratio0": np.float64,  # value added / revenue at entry or 2017
    "margin_pre": np.float64,  # operating margin before R&D expenses
    "rd_intensity": np.float64,  # real R&D / revenue
    "relabel_intensity": np.float64,  # reported minus real R&D, as a share of revenue (notch relabelling)
    "rd_fe": np.float64,  # fixed effect a_i of the R&D target (priors.md section 2)
    "rd_stock": np.float64,  # real R&D stock, 亿元
    "knowledge0": np.float64,  # knowledge input at entry (reference for the within-firm patent elasticity)
    "tfp": np.float64,  # log productivity relative to entry
    "tfp_noise": np.float64,  # persistent AR(1) part of log productivity
    "team_quality": np.float64,  # latent quality, standard normal; VCs see it with noise
    "patent_fe": np.float64,  # firm propensity to patent (gamma fixed effect, priors.md row 18)
    "patents_held": np.int64,  # valid invention patents
    "standards": np.int64,  # international standards created (cumulative, firm's own)
    "licensed_knowledge": np.float64,  # R&D-stock equivalent licensed in from universities, 亿元
    "hte_eligible": np.bool_,  # meets the HTE criteria other than R&D intensity
    "hte": np.bool_,  # certified high-tech enterprise (15 % tax)
    "profit_last": np.float64,  # profit of the last full year, 亿元
    "energy_intensity": np.float64,  # tce per 万元 of value added
    "returnees": np.float64,  # foreign and returnee staff
    "vc_total": np.float64,  # venture funding received, 亿元
    "vc_last_year": np.float64,  # fractional year of the last round (nan: never)
    "vc_recent": np.float64,  # venture funding in the last 8 quarters, 亿元 (decays)
    "vc_first_year": np.float64,  # fractional year of the first round (nan: never)
    "vc_entry_revenue": np.float64,  # revenue at the first round, 亿元 (for the funds' exit multiples)
    "gvc_backed": np.bool_,  # received guidance-fund co-investment
    "listed": np.bool_,
    "listing_year": np.int32,  # 0 if not listed
    "neeq": np.bool_,  # quoted on the NEEQ (新三板), the Beijing Stock Exchange's feeder
    "ipo_exchange": np.int16,  # exchange index of a pending filing, -1 if none
    "ipo_due": np.int32,  # step index at which a pending filing lists
    "origin": np.int8,  # 0 incumbent, 1 de novo, 2 spin-off, 3 returnee founder, 4 incubator graduate
    "platform": np.bool_,  # runs a qualifying open innovation platform
    "platform_supported": np.bool_,
    "export_penalty": np.float64,  # yearly log-growth penalty from export controls
    "active": np.bool_,
    # accumulators of the current calendar year (reset at the first quarter)
    "y_revenue": np.float64,
    "y_value_added": np.float64,
    "y_profit": np.float64,
    "y_rd_real": np.float64,
    "y_rd_reported": np.float64,
    "y_applications": np.int64,
    "y_grants": np.int64,
    "y_pct": np.int64,
    "y_contracts": np.float64,
    "y_energy": np.float64,
    "y_vc": np.float64,
    "y_tax": np.float64,  # corporate income tax due for the year, 亿元 (set at year end, model/fiscal.py)
    "y_tax_2017_rules": np.float64,  # the same firm's tax under the 2017 tax rules, 亿元
}
YEARLY = tuple(name for name in FIELDS if name.startswith("y_"))
ORIGINS = ("incumbent", "de_novo", "spin_off", "returnee_founder", "incubator_graduate")


class FirmTable:
    """Struct-of-arrays state of every firm, with a grant pipeline of pending applications.

    Each field is held in a buffer with spare capacity; ``columns[name]`` is a view of its first ``len(self)`` rows.
    Entrants are written into the spare rows (the buffers double when full), so a quarter's entry does not copy
    the table; exited firms are dropped once a year (``compact``), into a second set of buffers that then swaps
    with the first. The pending grants are held column-major, so one quarter's column of the pipeline is contiguous.
    """

    def __init__(self, columns: Mapping[str, np.ndarray], pending: np.ndarray) -> None:
        n = len(columns["uid"])
        missing = set(FIELDS) - set(columns)
        if missing:
            raise ValueError(f"missing firm columns: {sorted(missing)}")
        if any(len(columns[name]) != n for name in FIELDS) or pending.shape != (n, GRANT_PIPELINE_QUARTERS):
            raise ValueError("firm columns and the grant pipeline must have one row per firm")
        capacity = max(16, 2 * n)
        self._n = n
        self._buffers: dict[str, np.ndarray] = {}
        # spare rows are left unset: ``append`` writes every field of a row before the row is used
        for name, dtype in FIELDS.items():
            buffer = np.empty(capacity, dtype)
            buffer[:n] = columns[name]
            self._buffers[name] = buffer
        self._pending_buffer = np.empty((capacity, GRANT_PIPELINE_QUARTERS), np.int64, order="F")
        self._pending_buffer[:n] = pending
        # the buffers ``compact`` writes into, kept from year to year: fresh ones would fault in every page again,
        # which cost about four times the copy itself (benchmarks/time_stages.py, stage statistics)
        self.drop_spare()
        self._refresh()

    def _refresh(self) -> None:
        """Point ``columns`` and ``pending`` at the first ``len(self)`` rows of the buffers."""
        n = self._n
        self.columns: dict[str, np.ndarray] = {name: buffer[:n] for name, buffer in self._buffers.items()}
        self.pending = self._pending_buffer[:n]

    def __len__(self) -> int:
        return self._n

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns")
        if columns is not None and name in columns:
            return columns[name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        columns = self.__dict__.get("columns")
        if columns is not None and name in columns:
            columns[name][...] = value  # assign in place: keep dtype and length
        else:
            super().__setattr__(name, value)

    def _reserve(self, rows: int) -> None:
        """Make room for ``rows`` rows in every buffer, doubling the capacity as often as needed."""
        capacity = len(self._pending_buffer)
        if rows <= capacity:
            return
        while capacity < rows:
            capacity *= 2
        n = self._n
        for name, buffer in self._buffers.items():
            grown = np.empty(capacity, buffer.dtype)
            grown[:n] = buffer[:n]
            self._buffers[name] = grown
        pending = np.empty((capacity, GRANT_PIPELINE_QUARTERS), np.int64, order="F")
        pending[:n] = self._pending_buffer[:n]
        self._pending_buffer = pending
        self.drop_spare()  # of the old capacity

    def append(self, columns: Mapping[str, np.ndarray], pending: np.ndarray | None = None) -> None:
        """Add new firms (entrants); every field must be given."""
        k = len(columns["uid"])
        if k == 0:
            return
        n = self._n
        self._reserve(n + k)
        for name, buffer in self._buffers.items():
            buffer[n : n + k] = columns[name]
        self._pending_buffer[n : n + k] = 0 if pending is None else pending
        self._n = n + k
        self._refresh()

    def compact(self) -> None:
        """Drop firms that have exited; called once a year after the statistics are taken."""
        keep = np.flatnonzero(self.columns["active"])
        m = len(keep)
        if m == self._n:
            return
        capacity = len(self._pending_buffer)
        # into the spare buffers of the same capacity (a take into its own input would first copy the input), which
        # then swap with the current ones; spare rows are left unset, as ``append`` writes every field of a row
        # before the row is used
        spare, spare_pending = self._spare, self._spare_pending
        if spare_pending is None:
            spare = {name: np.empty(capacity, dtype) for name, dtype in FIELDS.items()}
            spare_pending = np.empty((capacity, GRANT_PIPELINE_QUARTERS), np.int64, order="F")
        for name, column in self.columns.items():
            np.take(column, keep, out=spare[name][:m])
        np.take(self.pending, keep, axis=0, out=spare_pending[:m])
        self._spare, self._spare_pending = self._buffers, self._pending_buffer
        self._buffers, self._pending_buffer = spare, spare_pending
        self._n = m
        self._refresh()

    def drop_spare(self) -> None:
        """Free the buffers ``compact`` writes into (a finished run compacts no more); the state is untouched."""
        self._spare: dict[str, np.ndarray] = {}
        self._spare_pending: np.ndarray | None = None

    def rows(self, selection: slice) -> FirmTable:
        """Return a table of the rows ``selection`` whose columns are views into this one (no copy).

        Behaviour functions that take a table can so run on a block of firms, e.g. the quarter's entrants.
        """
        part = object.__new__(FirmTable)
        columns = {name: column[selection] for name, column in self.columns.items()}
        object.__setattr__(part, "_n", len(columns["uid"]))
        object.__setattr__(part, "_buffers", columns)
        object.__setattr__(part, "_pending_buffer", self.pending[selection])
        object.__setattr__(part, "columns", columns)
        object.__setattr__(part, "pending", self.pending[selection])
        return part

    def index_of(self, uid: int) -> int:
        """Return the row of the firm with ``uid``; raise ``KeyError`` if it is not in the table."""
        rows = np.flatnonzero(self.columns["uid"] == uid)
        if len(rows) == 0:
            raise KeyError(f"no firm with uid {uid}")
        return int(rows[0])


class FirmView:
    """One firm seen as an agent: read its state as attributes (a live view into the arrays)."""

    def __init__(self, table: FirmTable, uid: int) -> None:
        self._table = table
        self.unique_id = uid

    def __getattr__(self, name: str) -> Any:
        if name in FIELDS:
            return self._table.columns[name][self._table.index_of(self.unique_id)].item()
        raise AttributeError(name)

    def as_dict(self) -> dict[str, Any]:
        """Return the firm's whole state."""
        row = self._table.index_of(self.unique_id)
        return {name: col[row].item() for name, col in self._table.columns.items()}

    def __repr__(self) -> str:
        return f"FirmView(uid={self.unique_id}, revenue={self.revenue:.3g} 亿元, age={self.age:.1f})"


def reported_intensity(firms: FirmTable) -> np.ndarray:
    """R&D intensity as reported: real plus relabelled (what the HTE rules, the exchanges and recruits see)."""
    return firms.rd_intensity + firms.relabel_intensity


def returnee_share(returnees: np.ndarray, employees: np.ndarray) -> np.ndarray:
    """Foreign and returnee staff as a share of employees (at least one employee counted)."""
    return returnees / np.maximum(employees, 1.0)
