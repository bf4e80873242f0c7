from __future__ import annotations

import pandas as pd
import pytest

from disclosure_rules import InputError, load_hierarchy


def test_levels_names_leading_zeros_and_implicit_city_level():
    csv = "baublock;stadtteil_nr;stadtteil_name;stadtbezirk\n01100101;011;Bülse;1\n01100102;011;Bülse;1\n" \
          "02100101;021;Höntrop;2\n".encode("cp1252")
    h = load_hierarchy(csv, filename="hier.csv")
    assert h.levels == ("baublock", "stadtteil", "stadtbezirk", "stadt")
    assert h.codes("baublock")[0] == "01100101"
    assert h.name("011", "stadtteil") == "Bülse"
    assert h.ancestor_map("baublock", "stadtbezirk")["02100101"] == "2"
    assert h.ancestor_map("baublock", "stadt") == {c: "STADT" for c in h.codes("baublock")}
    assert any(f.code == "FG-HIER-TOTAL-ADDED" for f in h.findings)


def test_one_child_level_allowed_and_said():
    h = load_hierarchy(pd.DataFrame({"block": ["1", "2", "3"], "teil": ["A", "B", "C"], "bezirk": ["X", "X", "Y"]}))
    f = [f for f in h.findings if f.code == "FG-HIER-ONE-CHILD"]
    assert len(f) == 1 and f[0].params == {"level": "block", "parent_level": "teil"}


def test_two_parents_named_with_row():
    with pytest.raises(InputError) as exc:
        load_hierarchy(b"block,teil\n1,A\n2,A\n", filename="h.csv")  # fine
        load_hierarchy(b"block,teil,bezirk\n1,A,X\n2,A,Y\n", filename="h.csv")
    f = exc.value.findings[0]
    assert f.code == "FG-HIER-TWO-PARENTS" and f.row == 3 and f.column == "bezirk" and f.file == "h.csv"


def test_cycle_and_duplicates_and_empty_codes():
    with pytest.raises(InputError) as exc:
        load_hierarchy(b"a,b,c\nX,Y,X\nY,X,Z\n")
    assert {f.code for f in exc.value.findings} & {"FG-HIER-CYCLE", "FG-HIER-TWO-PARENTS"}
    with pytest.raises(InputError) as exc:
        load_hierarchy(b"block,teil\n1,A\n1,A\n")
    assert exc.value.findings[0].code == "FG-HIER-DUPLICATE"
    with pytest.raises(InputError) as exc:
        load_hierarchy(b"block,teil\n1,A\n2,\n")
    assert exc.value.findings[0].code == "FG-HIER-EMPTY-CODE" and exc.value.findings[0].row == 3
