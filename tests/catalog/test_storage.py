"""Download-area storage: versioned immutable paths, latest pointer, atomic writes, safe keys."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from catalog.errors import StorageError
from catalog.storage import LocalStorage, version_key


def test_put_get_exists_and_hash(tmp_path):
    st = LocalStorage(tmp_path / "area", base_url="https://daten.example/download")
    key = version_key("migration", "schutzsuchende", "1.0.0", "daten.csv")
    digest = st.put(key, b"a,b\n1,2\n")
    assert digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert st.exists(key) and st.get(key) == b"a,b\n1,2\n" and st.sha256(key) == digest
    assert st.path(key) == tmp_path / "area/migration/schutzsuchende/1.0.0/daten.csv"
    assert st.url(key) == "https://daten.example/download/migration/schutzsuchende/1.0.0/daten.csv"
    assert not st.exists("migration/schutzsuchende/1.0.0/other.csv")
    with pytest.raises(StorageError) as exc:
        st.get("migration/schutzsuchende/1.0.0/other.csv")
    assert exc.value.code == "catalog.storage.not_found"


def test_versions_are_immutable_but_retries_are_harmless(tmp_path):
    st = LocalStorage(tmp_path)
    key = "t/s/1.0.0/daten.csv"
    first = st.put(key, b"one")
    assert st.put(key, b"one") == first  # a retried job
    with pytest.raises(StorageError) as exc:
        st.put(key, b"two")
    assert exc.value.code == "catalog.storage.immutable" and first in exc.value.message("en")
    assert st.get(key) == b"one"


def test_release_and_latest_pointer(tmp_path):
    st = LocalStorage(tmp_path)
    assert st.latest("t", "s") is None
    with pytest.raises(StorageError):
        st.resolve("t", "s", "latest", "daten.csv")
    st.put_release("t", "s", "1.0.0", {"daten.csv": b"v1", "datapackage.json": b"{}"})
    st.put_release("t", "s", "1.2.0", {"daten.csv": b"v12"})
    st.put_release("t", "s", "1.10.0", {"daten.csv": b"v110"})
    # a correction of an older period (patch of 1.2) published afterwards never becomes "latest":
    # latest = the newest period (highest version), not the last published
    st.put_release("t", "s", "1.2.1", {"daten.csv": b"v121"})
    assert st.latest("t", "s") == "1.10.0"
    assert st.get(st.resolve("t", "s", "latest", "daten.csv")) == b"v110"
    assert st.get(st.resolve("t", "s", "1.0.0", "daten.csv")) == b"v1"
    assert st.get(st.resolve("t", "s", "1.2.1", "daten.csv")) == b"v121"
    assert st.versions("t", "s") == ["1.0.0", "1.2.0", "1.2.1", "1.10.0"]
    pointer = json.loads(st.get("t/s/latest.json"))
    assert pointer["files"]["daten.csv"] == hashlib.sha256(b"v110").hexdigest()


@pytest.mark.parametrize(
    "key", ["", "../etc/passwd", "/abs/path", "a//b", "a/./b", "a/b/..", "a\\b", "a/b c", ".hidden/x"]
)
def test_unsafe_keys_are_refused(tmp_path, key):
    with pytest.raises(StorageError) as exc:
        LocalStorage(tmp_path).put(key, b"x")
    assert exc.value.code == "catalog.storage.key_invalid"
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_old_content_and_no_temp_file(tmp_path):
    st = LocalStorage(tmp_path)
    st.set_latest("t", "s", "1.0.0")
    before = st.get("t/s/latest.json")

    with pytest.raises(TypeError):
        st.put("t/s/latest.json", "not bytes", overwrite=True)  # type: ignore[arg-type]
    assert st.get("t/s/latest.json") == before
    assert sorted(p.name for p in (tmp_path / "t/s").iterdir()) == ["latest.json"]


def test_readers_never_see_a_partial_pointer(tmp_path):
    st = LocalStorage(tmp_path)
    big = {f"file{i}.csv": "0" * 64 for i in range(2000)}  # ~150 kB pointer: torn writes would show
    st.set_latest("t", "s", "0.0.0", big)
    stop = threading.Event()
    seen, errors = set(), []

    def reader():
        while not stop.is_set():
            try:
                seen.add(json.loads(st.get("t/s/latest.json"))["version"])
            except (ValueError, KeyError, StorageError) as exc:  # a torn read would fail to parse
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(1, 60):
        st.set_latest("t", "s", f"0.{i}.0", big)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen and seen <= {f"0.{i}.0" for i in range(60)}
    assert [p.name for p in (tmp_path / "t/s").iterdir()] == ["latest.json"]
