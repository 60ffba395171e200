"""An interruption (Ctrl-C, an error) that lands after a commit's manifest swap must not undo the commit."""

from __future__ import annotations

import pytest

import searchcore as sc
import searchcore.index.writer as writer_module


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_interrupted_after_the_manifest_swap_keeps_the_commit(tmp_path, monkeypatch, interruption):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(stored=True), body=sc.TEXT()))
    with ix.writer() as w:
        w.add_document(id="a", body="oil prices")

    def interrupted(directory, manifest):
        raise interruption("interrupted while removing old files")

    with pytest.raises(interruption):
        with ix.writer() as w:  # the exception makes the writer cancel: it must not remove committed segments
            monkeypatch.setattr(writer_module, "remove_unreferenced", interrupted)
            w.add_document(id="b", body="coffee prices")
            w.commit()
    monkeypatch.undo()
    assert sc.check_index(ix.path).ok
    with sc.Index.open(ix.path).searcher() as s:
        assert sorted(hit.id for hit in s.search("prices")) == ["a", "b"]
