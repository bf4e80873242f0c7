"""The body of a large CSV is parsed by pyarrow in several threads when no line is expected to be refused;
a refused line (only a reading in one thread knows its number) means reading again in one thread.  Either way
the result is the row-by-row reference's: the same table, rows and findings with the same line numbers."""
from __future__ import annotations

import pytest

from disclosure_rules.readers import fast
from tests.readers.reference import fast_read, reference_read, summary


@pytest.fixture(autouse=True)
def _threads_from_small_files(monkeypatch):
    # the threshold (two pyarrow blocks) made small, so that the reference path can read the same files quickly
    monkeypatch.setattr(fast, "THREADS_MIN_BYTES", 1 << 20)
    monkeypatch.setattr(fast, "BLOCK_BYTES", 256 << 10)  # several blocks: several threads


def _big(middle: str = "", n: int = 160_000) -> bytes:
    lines = ["baublock;status;anzahl"] + [f"{i:06d};{'ab'[i % 2]};{i % 7}" for i in range(n)]
    if middle:
        lines.insert(n // 2, middle)
    return ("\n".join(lines) + "\n").encode()


def _parse_threaded(data: bytes):
    enc, buf, start = fast.utf8_bytes(data, "t.csv")
    lines = fast.head_lines(buf, start)
    assert fast._regular_edges(buf, start, lines, ";", 3)  # large, clean first and last lines: threads
    return fast._parse(buf, start, ";", 3, "t.csv", None, fast.line_count(buf, start), True)


def test_clean_large_file_is_parsed_in_threads_like_the_reference():
    data = _big()
    assert len(data) > fast.THREADS_MIN_BYTES
    parsed = _parse_threaded(data)
    assert parsed is not fast._SERIAL and parsed[0] == 160_001
    assert summary(fast_read(data)) == summary(reference_read(data))


@pytest.mark.parametrize("middle", ["123456;a;5;extra", '"x;y";a;1', "Zwischentitel"])
def test_a_refused_line_in_the_middle_reads_again_in_one_thread(middle):
    data = _big(middle)
    assert _parse_threaded(data) is fast._SERIAL
    result = summary(fast_read(data))
    assert result == summary(reference_read(data))
    if middle.endswith("extra"):
        assert result[0] == "error" and (result[1][0]["code"], result[1][0]["row"]) == ("FG-READ-RAGGED", 80_001)
