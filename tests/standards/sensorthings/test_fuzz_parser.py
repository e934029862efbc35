"""Hypothesis against the query grammar alone: any text given as ``$orderby``, ``$select`` or
``$expand`` (and an ``$expand`` nested to any depth) is parsed or refused with a 400 that
names the option; and what is parsed keeps its structure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.parser import QueryError, parse
from tests.standards.sensorthings.test_fuzz import MEMBERS, expressions, noise

pytestmark = pytest.mark.unit

NAVIGATIONS = ["Datastreams", "Thing", "Observations", "Locations", "Sensor", "X_1"]
OPTIONS = {"$orderby": "orderby", "$select": "select", "$expand": "expand"}
Tree = tuple[str, int]  # an $expand item and how deep it nests


def _expand(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    plain = st.one_of(
        st.integers(0, 10**30).map(lambda n: f"$top={n}"),
        st.sampled_from(["$count=true", "$select=id,name", "$orderby=id desc"]),
        expressions.map(lambda e: f"$filter={e}"),
    )
    return st.tuples(
        st.sampled_from(NAVIGATIONS),
        st.lists(plain, max_size=2),
        st.lists(children, min_size=1, max_size=2),
    ).map(
        lambda t: (
            f"{t[0]}({';'.join([*t[1], '$expand=' + ','.join(c for c, _ in t[2])])})",
            1 + max(depth for _, depth in t[2]),
        )
    )


trees = st.recursive(st.sampled_from(NAVIGATIONS).map(lambda n: (n, 1)), _expand, max_leaves=10)
orderings = st.lists(
    st.tuples(st.one_of(st.sampled_from(MEMBERS), expressions), st.sampled_from(["", " desc"])),
    min_size=1,
    max_size=3,
)


def _parsed(option: str, text: str) -> tuple[object, QueryError | None]:
    try:
        return parse(option, text, OPTIONS[option]), None
    except QueryError as refused:
        return None, refused


def _check_refusal(option: str, refused: QueryError | None) -> None:
    assert refused is None or (refused.status == 400 and str(refused).startswith(option))


@settings(max_examples=300, deadline=None)
@given(
    option=st.sampled_from(sorted(OPTIONS)),
    text=st.one_of(
        noise,
        expressions,
        trees.map(lambda t: t[0]),
        orderings.map(lambda items: ",".join(e + d for e, d in items)),
    ),
)
def test_every_option_text_is_parsed_or_refused(option: str, text: str) -> None:
    _check_refusal(option, _parsed(option, text)[1])


def _depth(items: list[ast.Expand]) -> int:
    return max((len(i.path) + _depth(i.options.expand) for i in items), default=0)


@settings(max_examples=200, deadline=None)
@given(st.lists(trees, min_size=1, max_size=3))
def test_expand_keeps_every_navigation_and_its_nesting(items: list[Tree]) -> None:
    parsed, refused = _parsed("$expand", ",".join(text for text, _ in items))
    _check_refusal("$expand", refused)
    if isinstance(parsed, list):
        assert [i.path[0] for i in parsed] == [text.split("(")[0] for text, _ in items]
        assert _depth(parsed) == max(depth for _, depth in items)


@settings(max_examples=200, deadline=None)
@given(orderings)
def test_orderby_keeps_every_item_and_its_direction(items: list[tuple[str, str]]) -> None:
    parsed, refused = _parsed("$orderby", ",".join(e + d for e, d in items))
    _check_refusal("$orderby", refused)
    if isinstance(parsed, list):
        assert [item.descending for item in parsed] == [d == " desc" for _, d in items]
