"""The three-way merge on its own: one-sided changes merge, overlapping ones are conflicts,
settled per conflict; final newlines are kept as they are."""

from __future__ import annotations

from tui.merge import BOTH, MINE, THEIRS, merge

BASE = "var a = 1;\nvar b = 2;\nvar c = 3;\nreturn {module: 'hangup', data: {}};\n"


def test_changes_on_different_lines_merge_by_themselves() -> None:
    mine = BASE.replace("var a = 1;", "var a = 10;")
    theirs = BASE.replace("var c = 3;", "var c = 30;")
    merged = merge(BASE, mine, theirs)
    assert merged.conflicts == []
    assert merged.text({}) == BASE.replace("1;", "10;").replace("3;", "30;")
    assert merged.counts() == {"mine": 1, "theirs": 1, "conflict": 0}


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    both = BASE.replace("var b = 2;", "var b = 22;")
    merged = merge(BASE, both, both)
    assert merged.conflicts == [] and merged.text({}) == both


def test_overlapping_changes_are_a_conflict_settled_per_choice() -> None:
    # Line a changes on my side only; line b on both (a line apart: changes on adjacent lines
    # are one conflict, as in git).
    mine = BASE.replace("var a = 1;", "var a = 0;").replace("var c = 3;", "var c = 'mine';")
    theirs = BASE.replace("var c = 3;", "var c = 'theirs';")
    merged = merge(BASE, mine, theirs)
    assert len(merged.conflicts) == 1
    assert merged.text({}) is None  # unsettled
    (position,) = merged.conflicts
    assert merged.text({position: MINE}) == mine
    taken = merged.text({position: THEIRS})
    assert taken == mine.replace("var c = 'mine';", "var c = 'theirs';")  # a = 0 kept
    both = merged.text({position: BOTH})
    assert both is not None and "var c = 'mine';\nvar c = 'theirs';\n" in both
    markers = merged.with_markers({})
    assert "<<<<<<< mine\nvar c = 'mine';\n||||||| loaded\nvar c = 3;\n=======\n" in markers
    assert "var c = 'theirs';\n>>>>>>> server\n" in markers


def test_texts_without_a_final_newline_are_not_run_together() -> None:
    base = "var a = 1;\nvar b = 2;\nreturn a;"
    mine = "var a = 2;\nvar b = 2;\nreturn a;"
    theirs = "var a = 1;\nvar b = 2;\nreturn a + 1;"
    merged = merge(base, mine, theirs)
    assert merged.conflicts == []
    assert merged.text({}) == "var a = 2;\nvar b = 2;\nreturn a + 1;"  # no final newline still
    clash = merge(base, "var a = 1;\nreturn 'mine';", "var a = 1;\nreturn 'theirs';")
    (position,) = clash.conflicts
    assert clash.text({position: BOTH}) == "var a = 1;\nreturn 'mine';\nreturn 'theirs';"
    assert ">>>>>>> server\n" in clash.with_markers({})
    assert "return 'mine';\n|||||||" in clash.with_markers({})
