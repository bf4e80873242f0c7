"""Input semantics (issue 13 item 6): what is summed into the total of a wide table, and what is a total row.

Berlin PLR tables (statistical report A I 16, T2) carry ``Gesamt``, the age groups that add up to it and
``weiblich`` / ``ausländer`` that are sub-totals ("darunter"); summing every column gave 6,720 instead of
3,503 for PLR 01100101.  The tables here are hand-made in that shape.
"""
from __future__ import annotations


import pandas as pd
import pytest

from disclosure_rules import InputError, assess, load_hierarchy, load_rules, prepare_table, read_table_file
from disclosure_rules.cells import TOTAL

HIER = pd.DataFrame({"planungsraum": ["01100101", "01100102", "01100103", "01100104"],
                     "bezirksregion": ["011001", "011001", "011002", "011002"]})
AGES = ["unter18", "18-65", "65undmehr"]


@pytest.fixture
def hier():
    return load_hierarchy(HIER)


def berlin_like(sub_label: str = "weiblich", *, broken: bool = False) -> bytes:
    lines = [";".join(["Gesamt", *AGES, sub_label, "PLR-ID"])]
    for i, code in enumerate(HIER["planungsraum"]):
        ages = [300 + i, 2500 + 10 * i, 703 - i]
        total = sum(ages) + (1 if broken and i == 2 else 0)
        lines.append(";".join(map(str, [total, *ages, 1708 + i, code])))
    return ("\n".join(lines) + "\n").encode("utf-8")


def raw(data: bytes, name: str = "t2.csv"):
    return read_table_file(data, filename=name)


def codes(exc: InputError) -> list[str]:
    return [f.code for f in exc.findings]


def test_columns_are_summed_only_when_the_mapping_says_they_are_additive(hier):
    with pytest.raises(InputError) as err:
        prepare_table(raw(berlin_like()), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter")
    (f,) = err.value.findings
    assert f.code == "FG-TABLE-WIDE-ADDITIVITY-UNSTATED" and f.file == "t2.csv" and f.row == 1
    assert "weiblich" in f.params["columns"] and "Gesamt" not in f.params["columns"]
    with pytest.raises(InputError) as err:
        prepare_table(raw(berlin_like()), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter",
                      columns_additive=False)
    assert codes(err.value) == ["FG-TABLE-WIDE-NOT-ADDITIVE"]
    # a single count column needs no statement
    single = prepare_table(raw(b"PLR-ID;anzahl\n01100101;5\n01100102;7\n"), hier, geo_column="PLR-ID", layout="wide")
    assert len(single.data) == 2


def test_a_subtotal_without_a_darunter_label_is_found_through_the_total_column(hier):
    """The PLR 01100101 bug: Gesamt next to age groups and 'weiblich'."""
    with pytest.raises(InputError) as err:
        prepare_table(raw(berlin_like()), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter",
                      columns_additive=True)
    (f,) = err.value.findings
    assert f.code == "FG-TABLE-WIDE-TOTAL-MISMATCH" and (f.file, f.row, f.column) == ("t2.csv", 2, "Gesamt")
    assert f.params["total"] == "3503" and f.params["sum"] == str(3503 + 1708)
    assert f.params["subtotals"] == ["weiblich"] and "weiblich" in f.message("de") and "sub-total" in f.message("en")
    # mapped as a sub-total: the total is the sum of the age groups, checked in every row, and dropped
    p = prepare_table(raw(berlin_like()), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter",
                      columns_additive=True, subtotal_columns=["weiblich"])
    assert sorted(p.data["alter"].astype(str).unique()) == sorted(AGES)
    assert int(p.data[p.data["area"] == "01100101"]["count"].sum()) == 3503
    found = {f.code: f for f in p.findings}
    assert found["FG-TABLE-SUBTOTAL-MAPPED"].column == "weiblich"
    assert found["FG-TABLE-TOTAL-COLUMN"].column == "Gesamt"
    # the cells scope's margin "Insgesamt" is then the published total, not Gesamt + weiblich
    a = assess(p, hier, load_rules(scope="cells"))
    rel = a.releasable
    tot = rel[(rel["area"] == "01100101") & (rel["alter"] == TOTAL)]
    assert int(tot["count"].iloc[0]) == 3503


def test_a_total_column_that_does_not_add_up_names_the_row(hier):
    with pytest.raises(InputError) as err:
        prepare_table(raw(berlin_like(broken=True)), hier, geo_column="PLR-ID", layout="wide",
                      wide_dimension="alter", columns_additive=True, subtotal_columns=["weiblich"])
    (f,) = err.value.findings
    assert f.code == "FG-TABLE-WIDE-TOTAL-MISMATCH" and f.row == 4 and f.column == "Gesamt"


@pytest.mark.parametrize("label", ["darunter weiblich", "dar. weiblich", "Darunter: weiblich", "und zwar weiblich"])
def test_darunter_columns_are_refused_or_mapped_as_subtotals(hier, label):
    with pytest.raises(InputError) as err:
        prepare_table(raw(berlin_like(label)), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter",
                      columns_additive=True)
    (f,) = err.value.findings
    assert f.code == "FG-TABLE-SUBTOTAL-COLUMN" and (f.file, f.row, f.column) == ("t2.csv", 1, label)
    p = prepare_table(raw(berlin_like(label)), hier, geo_column="PLR-ID", layout="wide", wide_dimension="alter",
                      columns_additive=True, subtotal_columns=[label])
    assert label not in set(p.data["alter"].astype(str))


def test_davon_columns_are_parts_of_one_breakdown_only(hier):
    data = b"PLR-ID;Insgesamt;davon maennlich;davon weiblich\n01100101;10;4;6\n01100102;9;5;4\n"
    p = prepare_table(raw(data), hier, geo_column="PLR-ID", layout="wide", wide_dimension="geschlecht",
                      columns_additive=True)
    assert sorted(p.data["geschlecht"].astype(str).unique()) == ["davon maennlich", "davon weiblich"]
    assert int(p.data["count"].sum()) == 19
    mixed = b"PLR-ID;Insgesamt;unter18;ab18;davon weiblich\n01100101;10;4;6;5\n"
    with pytest.raises(InputError) as err:
        prepare_table(raw(mixed), hier, geo_column="PLR-ID", layout="wide", wide_dimension="x",
                      columns_additive=True)
    assert codes(err.value) == ["FG-TABLE-SUBTOTAL-COLUMN"] and err.value.findings[0].column == "davon weiblich"


@pytest.mark.parametrize("label, total", [
    ("Insgesamt", True), ("Summe:", True), ("  GESAMT ", True), ("Stadt insgesamt", True), ("Alle", True),
    ("Alle anderen", False), ("Zusammen veranlagt", False), ("Gesamtschule", False), ("Summe der Teile", False),
    ("Insgesamt ohne Ukraine", False),
])
def test_a_label_is_a_total_only_when_the_whole_label_is_a_total_word(hier, label, total):
    frame = pd.DataFrame({"planungsraum": ["01100101", "01100101", "01100102"],
                          "art": ["Einzeln", label, "Einzeln"], "anzahl": ["5", "7", "6"]})
    p = prepare_table(frame, hier, geo_column="planungsraum", count_columns=["anzahl"])
    kept = set(p.data["art"].astype(str))
    assert (label.strip() in kept) is (not total)
    dropped = [f for f in p.findings if f.code == "FG-TABLE-TOTAL-ROW"]
    assert bool(dropped) is total
