"""Grid expansion, ranges, cell identity and cell seeds (no simulation)."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from pydantic import ValidationError

from simtrial.errors import ConfigError
from simtrial.model.sweep import SweepConfig
from simtrial.sweep.grid import cell_id, cell_identity, cell_seed, expand_grid


def test_float_range_is_decimal_exact():
    s = SweepConfig(axes={"scenarios.0.p_response": {"start": 0.05, "stop": 0.5, "step": 0.05}})
    # The values as a person types them (0.15, not 0.15000000000000002).
    assert s.axis_values("scenarios.0.p_response") == tuple(float(f"0.{k:02d}") for k in range(5, 55, 5))


def test_int_range_num_range_and_descending():
    s = SweepConfig(
        axes={
            "a": {"start": 1, "stop": 4, "step": 1},
            "b": {"start": 0, "stop": 1, "num": 5},
            "c": {"start": 0.4, "stop": 0.1, "step": -0.1},
            "d": {"start": 2, "stop": 10, "num": 5},
            "e": {"start": 1, "stop": 2, "step": 0.3},
        }
    )
    a = s.axis_values("a")
    assert a == (1, 2, 3, 4) and all(type(v) is int for v in a)
    assert s.axis_values("b") == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert s.axis_values("c") == (0.4, 0.3, 0.2, 0.1)
    assert s.axis_values("d") == (2, 4, 6, 8, 10)
    assert s.axis_values("e") == (1.0, 1.3, 1.6, 1.9)  # stop 2 is not on the grid
    assert s.n_cells() == 4 * 5 * 4 * 5 * 4


@pytest.mark.parametrize(
    ("axes", "mode", "needle"),
    [
        ({"x.y": []}, "product", "axis 'x.y': the list of values is empty"),
        ({"x.y": {"start": 0}}, "product", "axis 'x.y': a range needs stop"),
        ({"x.y": {"start": 0, "stop": 1, "step": 0.5, "num": 3}}, "product", "exactly one of step or num"),
        ({"x.y": {"start": 0, "stop": 1, "stp": 1}}, "product", "axis 'x.y': unknown range key(s) stp"),
        ({"x.y": {"start": 0, "stop": 1, "step": -1}}, "product", "does not lead from start"),
        ({"x.y": {"start": 0, "stop": 1, "step": 0}}, "product", "step must not be 0"),
        ({"x.y": {"start": "a", "stop": 1, "step": 1}}, "product", "start must be a number"),
        ({"x.y": {"start": 0, "stop": 1e9, "step": 1}}, "product", "more than 10000 values"),
        ({"x.y": [1, 2, 1]}, "product", "axis 'x.y': value 1 appears twice"),
        ({"x.y": 3}, "product", "axis 'x.y': expected a list of values or a range"),
        ({"x..y": [1]}, "product", "not a dotted config path"),
        ({"a": [1, 2], "b": [1, 2, 3]}, "zip", "axis 'b' has 3 values but axis 'a' has 2"),
        ({}, "product", "at least one axis"),
    ],
)
def test_bad_axes_name_the_axis(axes, mode, needle):
    with pytest.raises(ValidationError) as info:
        SweepConfig(axes=axes, mode=mode)
    assert needle in str(info.value)


def test_identity_is_canonical_json():
    assert cell_identity({"b": 0.1, "a": "minimax"}) == '{"a":"minimax","b":0.1}'
    assert cell_identity({"a": 0.1 + 0.2}) == '{"a":0.30000000000000004}'  # repr, every digit
    assert cell_identity({"a": 1}) != cell_identity({"a": 1.0})
    with pytest.raises(ConfigError, match="sweep.axes"):
        cell_identity({"a": float("nan")})


def test_cell_seed_is_blake2b_of_seed_and_identity():
    ident = '{"a":1}'
    # Independent computation of the documented derivation.
    h = hashlib.blake2b(b"7\x00" + ident.encode(), digest_size=8, person=b"simtrial-cellsd").digest()
    assert cell_seed(7, ident) == int.from_bytes(h, "little") % 2**63
    assert 0 <= cell_seed(7, ident) < 2**63
    assert cell_id(ident) == hashlib.blake2b(ident.encode(), digest_size=8, person=b"simtrial-cellid").hexdigest()


def test_product_order_and_zip():
    s = SweepConfig(axes={"a": [1, 2], "b": ["x", "y", "z"]})
    cells = expand_grid(s, 3)
    assert [c.values for c in cells] == [(("a", a), ("b", b)) for a, b in itertools.product([1, 2], "xyz")]
    assert [c.index for c in cells] == list(range(6))
    z = expand_grid(SweepConfig(axes={"a": [1, 2, 3], "b": ["x", "y", "z"]}, mode="zip"), 3)
    assert [c.as_dict() for c in z] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}]


def test_seed_depends_on_identity_not_position():
    full = expand_grid(SweepConfig(axes={"a": [1, 2, 3, 4], "b": [0.1, 0.2]}), 11)
    # Reordered axes, reordered values and a sub-grid: every shared cell keeps its seed and id.
    other = expand_grid(SweepConfig(axes={"b": [0.2, 0.1], "a": [4, 2]}), 11)
    by_ident = {c.identity: c for c in full}
    assert len(other) == 4
    for c in other:
        assert (c.seed, c.id) == (by_ident[c.identity].seed, by_ident[c.identity].id)
    assert len({c.seed for c in full}) == len(full)
    # Another sweep seed moves every cell's seed.
    moved = expand_grid(SweepConfig(axes={"a": [1, 2, 3, 4], "b": [0.1, 0.2]}), 12)
    assert all(a.seed != b.seed for a, b in zip(full, moved))


def test_duplicate_cells_in_zip_are_rejected():
    # Each axis is duplicate-free but zip cannot make duplicates either; product of
    # lists that differ only by 1 vs 1.0 keeps them distinct cells.
    cells = expand_grid(SweepConfig(axes={"a": [1, 1.0]}), 0)
    assert len({c.id for c in cells}) == 2


def test_docstring_examples():
    import doctest

    import simtrial.sweep.grid

    result = doctest.testmod(simtrial.sweep.grid)
    assert result.attempted >= 3 and result.failed == 0
