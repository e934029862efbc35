"""Pages of an HTML list: the count of pages and one page of a loaded list."""

from __future__ import annotations

from allmende.http.paging import Page, page_count, page_of


def test_a_count_makes_whole_pages_and_an_empty_list_one() -> None:
    assert [page_count(n, 25) for n in (0, 1, 25, 26, 50, 51)] == [1, 1, 1, 2, 2, 3]


def test_a_page_holds_its_slice_and_says_where_it_is() -> None:
    assert page_of(list(range(60)), 2, 25) == Page(list(range(25, 50)), 2, 3, 60)
    assert page_of(list(range(60)), 3, 25) == Page(list(range(50, 60)), 3, 3, 60)


def test_a_number_past_the_end_gives_the_last_page() -> None:
    assert page_of(list(range(60)), 99, 25) == Page(list(range(50, 60)), 3, 3, 60)
    assert page_of([], 5, 25) == Page([], 1, 1, 0)
