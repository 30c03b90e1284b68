"""The seed tree: one root seed per experiment, one seed per replicate, one named stream per random process.

Replicate ``r`` gets the same seed in every scenario, so scenario differences are paired (common random
numbers). Each random process draws from its own stream, keyed by a stable hash of its name, so adding a
process does not shift the draws of the others (style.md section 3.4, after Starsim's name-hashed seeds).
"""

from __future__ import annotations

import functools
import zlib
from typing import Any

import numpy as np


def replicate_seed(root_seed: int, replicate: int) -> np.random.SeedSequence:
    """Return the seed of one replicate; identical for every scenario of an experiment."""
    return np.random.SeedSequence(entropy=int(root_seed), spawn_key=(int(replicate),))


def replicate_seed_number(root_seed: int, replicate: int) -> int:
    """Return a 63-bit integer that identifies a replicate's seed in the results tables."""
    state = replicate_seed(root_seed, replicate).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def stream(seed: np.random.SeedSequence, name: str) -> np.random.Generator:
    """Return the generator of one named random process within a replicate."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key)))


def as_seed_sequence(rng: int | np.integer | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """Return the replicate seed a model's ``rng`` argument stands for (Mesa's SPEC-7 ``rng`` convention).

    A ``SeedSequence`` is the replicate's seed as it is; an int ``s`` is replicate 0 of root seed ``s``
    (``replicate_seed(s, 0)``: the first replicate of ``zgcsim run --seed s``); None draws fresh entropy.

    Raises:
        TypeError: for any other type (a ``numpy.random.Generator`` cannot be split into named streams).
    """
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return replicate_seed(int(rng), 0)
    raise TypeError(f"rng must be an int, a numpy SeedSequence or None, not {type(rng).__name__}")


class KeyedStream:
    """A named random process of a replicate: sequential draws, and fresh generators keyed by quarter and purpose.

    As a ``numpy.random.Generator`` it draws sequentially (``stream(seed, name)``, the same numbers). ``keyed``
    returns a generator of its own for one quarter and one purpose, derived from the replicate's seed, the
    stream's name, the quarter and the purpose alone: draws made from it over the firms' uid space give each firm
    the same numbers whatever other firms exist (``model/draws.py``), so a lever that changes which firms exist
    leaves the other firms' draws alone.
    """

    def __init__(self, seed: np.random.SeedSequence, name: str) -> None:
        self.name = name
        self.seed = seed
        self.key = zlib.crc32(name.encode("utf-8"))
        self.generator = stream(seed, name)
        # the words numpy's SeedSequence hashes for (entropy, spawn key): the entropy's 32-bit words padded to the
        # pool size, then each spawn-key integer's words; keyed() appends the quarter's and the purpose's
        self._words = (
            _uint32_words(seed.entropy, pad_to=seed.pool_size) + _uint32_words(*seed.spawn_key, self.key)
            if isinstance(seed.entropy, int) and all(isinstance(k, int) for k in seed.spawn_key)
            else None
        )

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.generator, attribute)

    def keyed(self, step: int, purpose: str) -> np.random.Generator:
        """Return the generator of quarter ``step`` (0, 1, ...) and ``purpose`` within this stream.

        The generator of ``SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, stream key, step, purpose key))``,
        built from the words that seed sequence hashes (the same state, without converting the integers each time).
        """
        if self._words is None:
            key = (*self.seed.spawn_key, self.key, int(step), _purpose_key(purpose))
            return np.random.default_rng(np.random.SeedSequence(self.seed.entropy, spawn_key=key))
        words = self._words + _uint32_words(int(step), _purpose_key(purpose))
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(np.array(words, np.uint32))))


@functools.cache
def _purpose_key(purpose: str) -> int:
    """The stable hash of a draw's purpose within a stream."""
    return zlib.crc32(purpose.encode("utf-8"))


def _uint32_words(*numbers: int, pad_to: int = 0) -> list[int]:
    """The 32-bit words numpy's ``SeedSequence`` makes of non-negative integers, zero-padded to ``pad_to`` words.

    Each integer gives its words least significant first; zero gives one word.
    """
    words = []
    for number in numbers:
        if number < 0:
            raise ValueError("seed integers must be non-negative")
        if number == 0:
            words.append(0)
        while number > 0:
            words.append(number & 0xFFFFFFFF)
            number >>= 32
    return words + [0] * (pad_to - len(words))
