"""Raw index terms in queries: sc.Term(text, analyzed=False), written ``=text``, looked up as the index holds it."""

from __future__ import annotations

import pytest

import searchcore as sc


def test_an_index_term_that_does_not_analyse_back_is_found_as_it_is(tmp_path):
    ix = sc.Index.create(tmp_path / "ix", sc.Schema(id=sc.ID(), body=sc.TEXT(stored=True), topics=sc.KEYWORD(lowercase=True)))
    docs = {"a": "Exports increased sharply", "b": "The increase was considerable", "c": "Universal coverage",
            "d": "An increa of sorts"}
    with ix.writer() as w:
        for doc_id, body in docs.items():
            w.add_document(id=doc_id, body=body, topics=["Grain"])
    analyzer = ix.schema["body"].analyzer
    assert analyzer.term("increased") == "increas" and analyzer.term("increas") == "increa"  # the premise
    with ix.searcher() as s:
        raw = s.search(sc.Term("increas", "body", analyzed=False))
        assert sorted(h.id for h in raw) == ["a", "b"]  # the documents whose body holds the index term
        assert sorted(h.id for h in s.search(sc.Term("increas", "body"))) == ["d"]  # analysed: "increa"
        # a raw term scores as the word it is the stem of
        assert [(h.id, h.score) for h in raw] == [(h.id, h.score) for h in s.search("increased")]
        assert [h.id for h in s.search("=univers")] == ["c"] and s.search("univers").total == 0
        assert s.search("topics:=grain").total == 4 and s.search("topics:=Grain").total == 0  # as stored
        assert s.search("=increas").total == 2
        assert [h.id for h in s.search(r"\=increas")] == ["d"]  # an escaped "=" is a word: "=increas" analysed
        assert [m.term for m in raw[0].matches("body")] == ["increas"]  # highlighted like the word


def test_a_raw_term_is_written_and_read_with_a_leading_equals():
    schema = sc.Schema(body=sc.TEXT())
    for node in [sc.Term("experi", analyzed=False), sc.Term("experi", "body", analyzed=False), sc.Term("=x"),
                 sc.Term("=x", analyzed=False)]:
        assert sc.parse(str(node), schema).node.should == (node,)
    assert str(sc.Term("experi", "body", analyzed=False)) == "body:=experi"
    assert str(sc.Term("=x")) == "\\=x"
    with pytest.raises(sc.ArgumentTypeError):
        sc.Term("x", analyzed="no")
