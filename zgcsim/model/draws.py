"""Firm-keyed random draws: a firm's draw depends on the replicate, the stage, the quarter and its uid alone.

Paired scenarios share their seeds (common random numbers). Drawn in table order, one firm's draws would depend on
how many firms come before it, so once a lever changes which firms exist (more entrants, fewer exits) every later
draw would shift to another firm and the pairs would stop lining up. Here each (stream, quarter, purpose) gets a
fresh generator (``KeyedStream.keyed``) that draws one block over the uid space (uids are sequential integers),
and each firm takes the entries at its uid: the same numbers whatever other firms exist.

Draws without firm-specific parameters (uniforms, exponentials, normals) are numpy's, drawn over the whole uid
space. Counts whose law depends on the firm (Poisson, binomial) would make numpy's samplers consume a varying
number of draws per firm (none at all for a zero mean), so they are drawn by inverting their distribution function
at one uniform per firm: by recursion over the counts for small means, otherwise by a search from the
Cornish-Fisher quantile with ``scipy.special``'s distribution functions.
``FirmDraws.totals`` sums a variable number of values per firm, its k-th value keyed by (uid, k).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from scipy import special

from zgcsim.inputs.seeds import KeyedStream

SMALL_MEAN = 30  # an algorithmic switch, not a model number: below it counts are inverted by recursion
VALUES_BLOCK = 16  # values per firm drawn as a block over the uid space; a firm's further values come one by one
FIRST_SPAN = 4  # algorithmic: the recursion's first span of counts; each later span is twice as long
FEW_ROWS = 150  # algorithmic: below this many rows a span's running products take one numpy call
ONE_GO = 2048  # algorithmic: when rows x counts left is at most this, the rest of the recursion is one span

_LARGEST = np.finfo(np.float64).max  # where the quantile search starts for an infinite guess
_scratch = threading.local()  # one reusable buffer per thread for the blocks over the uid space


def _scratch_buffer(size: int) -> np.ndarray:
    """A float64 buffer of ``size`` entries, reused from call to call (a fresh block would fault in its pages)."""
    buffer = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = _scratch.buffer = np.empty(size if buffer is None else max(size, len(buffer) * 5 // 4))
    return buffer[:size]


class FirmDraws:
    """The firm-keyed draws of one stream in one quarter."""

    def __init__(self, stream: KeyedStream, step: int) -> None:
        self.stream, self.step = stream, step

    def _block(self, purpose: str, uids: np.ndarray, draw: str, width: int = 1) -> np.ndarray:
        """One block of ``draw`` (a ``Generator`` method without parameters) over the uid space, taken at ``uids``.

        The block's j-th entry is the j-th draw of a generator of its own, so it does not depend on the block's size.
        """
        if len(uids) == 0:
            return np.empty((0,) if width == 1 else (0, width))
        size = int(uids.max()) + 1
        block = self._fill(purpose, size * width, draw)
        return np.take(block if width == 1 else block.reshape(size, width), uids, axis=0)

    def _fill(self, purpose: str, size: int, draw: str) -> np.ndarray:
        """The first ``size`` draws of ``purpose``'s generator (``draw`` a ``Generator`` method without parameters).

        Written into the thread's reused buffer: valid until the next block is drawn.
        """
        block = _scratch_buffer(size)
        getattr(self.stream.keyed(self.step, purpose), draw)(out=block)
        return block

    def uniform(self, purpose: str, uids: np.ndarray, width: int = 1) -> np.ndarray:
        """Uniforms on [0, 1) for the firms ``uids``: shape (n,), or (n, width) with ``width`` per firm."""
        return self._block(purpose, uids, "random", width)

    def exponential(self, purpose: str, uids: np.ndarray, width: int = 1) -> np.ndarray:
        """Standard exponentials: shape (n,), or (n, width) with ``width`` per firm."""
        return self._block(purpose, uids, "standard_exponential", width)

    def normal(self, purpose: str, uids: np.ndarray, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
        """Normals N(loc, scale^2)."""
        return loc + scale * self._block(purpose, uids, "standard_normal")

    def poisson(self, purpose: str, uids: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Poisson counts with means ``mean`` (zero for a zero mean), by inversion of one uniform per firm."""
        mean = np.broadcast_to(np.asarray(mean, np.float64), uids.shape)

        def large(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
            m = mean[rows]
            guess = _cornish_fisher(m, np.sqrt(m), 1 / np.sqrt(np.maximum(m, 1e-300)), q)
            return _quantile(guess, q, special.pdtr, (m,))

        return _invert_counts(self.uniform(purpose, uids), np.exp(-mean), mean, _poisson_ratios, (mean,), large)

    def binomial(self, purpose: str, uids: np.ndarray, trials: np.ndarray, p: np.ndarray | float) -> np.ndarray:
        """Binomial counts of ``trials`` with success probability ``p``, by inversion of one uniform per firm."""
        whole = np.broadcast_to(np.asarray(trials, np.int64), uids.shape)
        n = whole.astype(np.float64)
        chance = np.broadcast_to(np.asarray(p, np.float64), uids.shape)
        certain = chance >= 1.0
        q = np.where(certain, 0.0, chance)
        odds = q / (1.0 - q)

        def large(u: np.ndarray, rows: np.ndarray) -> np.ndarray:
            m, w, chance = n[rows] * q[rows], whole[rows], q[rows]
            sd = np.sqrt(m * (1 - chance))
            guess = _cornish_fisher(m, sd, (1 - 2 * chance) / np.maximum(sd, 1e-300), u)
            return _quantile(guess, u, _binomial_cdf, (w, chance), top=n[rows])

        first = np.exp(n * np.log1p(-q))  # P(0) = (1 - q)^n
        counts = _invert_counts(self.uniform(purpose, uids), first, n * q, _binomial_ratios, (n, odds), large)
        return np.where(certain, whole, np.minimum(counts, whole))

    def totals(
        self, purpose: str, uids: np.ndarray, counts: np.ndarray, value: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """Each firm's sum of ``counts`` values ``value(u)``, its k-th value from a uniform keyed by (uid, k).

        The first ``VALUES_BLOCK`` values of every firm come from one block over the uid space; a firm with more
        takes the rest from its own position further along the generator's sequence (``PCG64.advance``).
        """
        out = np.zeros(len(uids))
        sellers = np.flatnonzero(counts)
        if len(sellers) == 0:
            return out
        width, sold = VALUES_BLOCK, counts[sellers]
        taken = np.clip(sold, 0, width)  # a firm's values from the block: entries uid * width + 0, 1, ...
        seller_uids = uids[sellers]
        size = int(seller_uids.max()) + 1
        block = self._fill(purpose, size * width, "random")
        firsts = np.cumsum(taken) - taken  # where each firm's values start among all the block's values taken
        at = np.repeat(seller_uids * width - firsts, taken) + np.arange(int(firsts[-1] + taken[-1]))
        owner = np.repeat(np.arange(len(sellers)), taken)
        out[sellers] = np.bincount(owner, weights=value(np.take(block, at)), minlength=len(sellers))
        many = np.flatnonzero(sold > width)
        if len(many):  # the largest sellers: each takes its further uniforms from its own stretch of one sequence
            generator = self.stream.keyed(self.step, purpose + "/more")
            advance, draw = generator.bit_generator.advance, generator.random
            extra = sold[many] - width
            ends = np.cumsum(extra)
            starts = ends - extra
            uniforms = np.empty(int(ends[-1]))
            position, stretch = 0, 1 << 40  # far more draws than any firm's count
            for uid, start, end in zip(seller_uids[many].tolist(), starts.tolist(), ends.tolist(), strict=True):
                advance(uid * stretch - position)
                draw(out=uniforms[start:end])
                position = uid * stretch + end - start
            out[sellers[many]] += np.add.reduceat(value(uniforms), starts)
        return out


def _quantile(
    guess: np.ndarray,
    u: np.ndarray,
    cdf: Callable[..., np.ndarray],
    params: tuple[np.ndarray, ...],
    top: np.ndarray | None = None,
) -> np.ndarray:
    """The smallest count k with ``cdf(k, *params) >= u``, searched from ``guess`` (a count near it) in unit steps.

    ``cdf(k, *params)`` is the distribution function at counts ``k`` of laws with parameters ``params`` (arrays
    along ``u``); ``top`` bounds the counts.
    """
    k = np.minimum(np.fmax(np.floor(guess), 0.0), _LARGEST)  # NaN and -inf start at 0, inf at the largest float
    if top is not None:
        k = np.minimum(k, top)
    rows = np.flatnonzero(cdf(k, *params) < u)
    while len(rows):  # step up until cdf(k) >= u
        k[rows] += 1
        rows = rows[cdf(k[rows], *(p[rows] for p in params)) < u[rows]]
    rows = np.flatnonzero(k > 0)
    while len(rows):  # step down while cdf(k - 1) >= u still
        rows = rows[cdf(k[rows] - 1, *(p[rows] for p in params)) >= u[rows]]
        k[rows] -= 1
        rows = rows[k[rows] > 0]
    return k.astype(np.int64)


def _binomial_cdf(k: np.ndarray, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The binomial distribution function at counts ``k`` (floats holding integers)."""
    return special.bdtr(k.astype(np.int64), trials, p)


def _cornish_fisher(mean: np.ndarray, sd: np.ndarray, skew: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A count near the u-quantile: the normal quantile with the Cornish-Fisher skewness term."""
    z = special.ndtri(np.maximum(u, 1e-300))
    return mean + sd * (z + skew * (z * z - 1) / 6) - 0.5


def _poisson_ratios(out: np.ndarray, counts: np.ndarray, mean: np.ndarray) -> None:
    """Write P(k) / P(k - 1) of Poisson laws to ``out``: a row per count k of ``counts``, a column per ``mean``."""
    np.divide(mean, counts, out=out)


def _binomial_ratios(out: np.ndarray, counts: np.ndarray, trials: np.ndarray, odds: np.ndarray) -> None:
    """Write P(k) / P(k - 1) of binomial laws to ``out``: a row per count k of ``counts``, a column per firm.

    A firm has ``trials`` trials at odds ``odds`` (p / (1 - p)); in place, the same floats as
    ``(trials - k + 1) / k * odds``.
    """
    np.subtract(trials, counts, out=out)
    out += 1
    out /= counts
    out *= odds


def _invert_counts(
    u: np.ndarray,
    first: np.ndarray,
    mean: np.ndarray,
    ratios: Callable[..., None],
    params: tuple[np.ndarray, ...],
    large: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """The smallest k with P(0) + ... + P(k) >= u, given P(0) = ``first`` and P(k) = P(k - 1) ratio.

    ``ratios(out, k, *params)`` writes the ratios P(k) / P(k - 1) for a column of counts k and the rows' ``params``.
    The recursion runs over the rows whose mean is below ``SMALL_MEAN``, a span of counts at a time (each span
    twice the last), dropping the rows whose count is found; the rows of larger mean (and any the recursion has not
    settled far in the tail) go to ``large``. Within a span the terms and sums are running products and sums along
    each row, multiplied and added in the same order as count by count, so each is the same float; since the sums
    never decrease, a row's count is the number of its sums that fall short of u.
    """
    counts = np.zeros(len(u), np.int64)
    small = mean < SMALL_MEAN
    rows = np.flatnonzero(small & (u > first))
    state = np.empty((3 + len(params), len(rows)))  # per row: the last term, the last sum, u and the law's parameters
    state[0] = state[1] = first[rows]
    state[2] = u[rows]
    for i, p in enumerate(params):
        state[3 + i] = p[rows]
    k, limit, span = 0, int(4 * SMALL_MEAN) + 40, FIRST_SPAN
    while len(rows) and k < limit:
        span = limit - k if len(rows) * (limit - k) <= ONE_GO else min(span, limit - k)
        term, total, left = state[0], state[1], state[2]
        terms = np.empty((span + 1, len(rows)))  # a row per count: P(k), P(k + 1), ..., P(k + span)
        terms[0] = term
        ratios(terms[1:], np.arange(k + 1, k + span + 1, dtype=np.float64)[:, None], *state[3:])
        if len(rows) < FEW_ROWS:  # one call each, but numpy loops over the rows one by one
            terms = np.multiply.accumulate(terms, axis=0)
            state[0] = terms[-1]
            terms[0] = total
            sums = np.add.accumulate(terms, axis=0)
        else:  # a call per count, each over all rows
            sums = np.empty_like(terms)
            sums[0] = total
            for j in range(1, span + 1):
                np.multiply(terms[j - 1], terms[j], out=terms[j])
                np.add(sums[j - 1], terms[j], out=sums[j])
            state[0] = terms[-1]
        state[1] = sums[-1]
        done = left <= state[1]
        if done.any():  # their sums up to P(k) fell short of u: the count is k + 1 + those of this span that did too
            counts[rows[done]] = (k + 1) + (sums[1:] < left).sum(axis=0)[done]
            keep = ~done
            rows, state = rows[keep], state[:, keep]
        k += span
        span *= 2
    rest = np.concatenate([rows, np.flatnonzero(~small)])
    if len(rest):
        counts[rest] = large(u[rest], rest)
    return counts
