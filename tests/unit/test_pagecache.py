"""The page cache stays within its share of memory however many pages are read."""

from __future__ import annotations

import sys

from portal.pagecache import LruCache, PageCache


def test_the_page_cache_forgets_the_oldest_pages_beyond_its_bytes() -> None:
    cache = PageCache(max_entries=10_000, max_bytes=1_000_000)
    page = "<p>集美区路灯不亮</p>" * 2_000  # about 30,000 characters, stored two bytes each
    for n in range(200):
        cache.put(("ticket", n), page + str(n))
    assert cache.weight <= 1_000_000 and len(cache) == 1_000_000 // sys.getsizeof(page + "0")
    assert cache.get(("ticket", 199)) is not None and cache.get(("ticket", 0)) is None
    cache.put(("ticket", 199), "short")  # replacing a page counts the new one instead of the old
    assert cache.weight < 1_000_000 - sys.getsizeof(page) + 1_000


def test_a_cache_without_weights_counts_entries() -> None:
    cache: LruCache[str] = LruCache(3)
    for n in range(5):
        cache.put(n, str(n))
    cache.get(2)
    cache.put(5, "5")
    assert [cache.get(n) for n in range(6)] == [None, None, "2", None, "4", "5"]
