"""One Searcher shared by threads while another thread commits and refreshes it: every search runs start to
end on one generation, and nothing raises."""

from __future__ import annotations

import sys
import threading

import searchcore as sc

GENERATIONS = 12
SEARCHERS = 3


def test_refresh_while_threads_search(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), tag=sc.KEYWORD(stored=True),
                                                    body=sc.TEXT(stored=True)))
    with ix.writer() as w:
        w.add_document(id="g0-0", tag="g0", body="oil price report")
    searcher = ix.searcher()
    errors: list[BaseException] = []
    seen: list[tuple[int, list[str], list[str]]] = []
    done = threading.Event()

    def search() -> None:
        try:
            while not done.is_set():
                results = searcher.search("oil price", limit=100, facets=["tag"])
                # a hit reads its stored fields from the generation it was ranked in
                seen.append((results.total, [hit.id for hit in results], [hit["tag"] for hit in results]))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)

    def write() -> None:
        try:
            for g in range(1, GENERATIONS):
                # each generation replaces every document: a search mixing two generations would show it
                with ix.writer(merge=False) as w:
                    for i in range(g):
                        w.delete_document(f"g{g - 1}-{i}")
                    for i in range(g + 1):
                        w.add_document(id=f"g{g}-{i}", tag=f"g{g}", body="oil price report " * (i + 1))
                searcher.refresh()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so that a race shows
    try:
        threads = [threading.Thread(target=search) for _ in range(SEARCHERS)] + [threading.Thread(target=write)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert seen
    for total, ids, tags in seen:
        generation = int(ids[0].split("-")[0][1:])
        assert total == len(ids) == generation + 1
        assert sorted(ids) == sorted(f"g{generation}-{i}" for i in range(generation + 1))
        assert tags == [[f"g{generation}"]] * len(ids)
    assert searcher.doc_count == GENERATIONS
