"""A three-way merge of a function body: the base (the revision you loaded), mine (the editor)
and theirs (the server now). Changes on one side only merge by themselves; changes both sides
made to the same lines are conflicts, each settled by taking mine, theirs or both.

Lines keep their endings as they are (`splitlines(keepends=True)`), so a text without a final
newline merges, and shows, without two lines run together.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

MINE, THEIRS, BOTH = "mine", "theirs", "both"


@dataclass(frozen=True)
class Chunk:
    """A stretch of the merged text: settled (`lines`), or a conflict (all three sides)."""

    lines: tuple[str, ...] = ()
    conflict: bool = False
    base: tuple[str, ...] = ()
    mine: tuple[str, ...] = ()
    theirs: tuple[str, ...] = ()
    source: str = "same"  # same, mine, theirs (who changed a settled chunk), conflict


@dataclass
class Merge:
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def conflicts(self) -> list[int]:
        """The positions of the conflict chunks, in order."""
        return [i for i, chunk in enumerate(self.chunks) if chunk.conflict]

    def counts(self) -> dict[str, int]:
        found = {"mine": 0, "theirs": 0, "conflict": 0}
        for chunk in self.chunks:
            if chunk.source in found:
                found[chunk.source] += 1
        return found

    def text(self, choices: Mapping[int, str]) -> str | None:
        """The merged text with each conflict settled by `choices` (position -> mine,
        theirs or both); None while one is unsettled."""
        out: list[str] = []
        for index, chunk in enumerate(self.chunks):
            if not chunk.conflict:
                out.extend(chunk.lines)
                continue
            choice = choices.get(index)
            if choice is None:
                return None
            if choice == BOTH:
                out.extend(_ended(chunk.mine))
                out.extend(chunk.theirs)
            else:
                out.extend(chunk.mine if choice == MINE else chunk.theirs)
        return "".join(out)

    def with_markers(self, choices: Mapping[int, str]) -> str:
        """The merge to finish by hand: settled conflicts as chosen, the others between
        git's markers (mine, the base, theirs)."""
        out: list[str] = []
        for index, chunk in enumerate(self.chunks):
            choice = choices.get(index)
            if not chunk.conflict:
                out.extend(chunk.lines)
            elif choice is not None:
                out.append(Merge([chunk]).text({0: choice}) or "")
            else:
                out.append("<<<<<<< mine\n")
                out.extend(_ended(chunk.mine))
                out.append("||||||| loaded\n")
                out.extend(_ended(chunk.base))
                out.append("=======\n")
                out.extend(_ended(chunk.theirs))
                out.append(">>>>>>> server\n")
        return "".join(out)


def _ended(lines: Sequence[str]) -> list[str]:
    """`lines` with a newline after the last one, for text that something else follows."""
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return list(lines)


def _equal_pairs(base: list[str], other: list[str]) -> dict[int, int]:
    """Base line -> the same line in `other`, along the longest matching (in order)."""
    pairs: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    for tag, b1, b2, o1, _o2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(b2 - b1):
                pairs[b1 + offset] = o1 + offset
    return pairs


def merge(base: str, mine: str, theirs: str) -> Merge:
    """diff3's way: the base lines both sides kept are anchors; between two anchors, a region
    changed by one side takes that side, one changed alike by both takes it, and one changed
    differently by both is a conflict."""
    b, m, t = (text.splitlines(keepends=True) for text in (base, mine, theirs))
    in_mine, in_theirs = _equal_pairs(b, m), _equal_pairs(b, t)
    anchors = [i for i in range(len(b)) if i in in_mine and i in in_theirs]
    result = Merge()
    stable: list[str] = []
    at_b = at_m = at_t = 0

    def flush() -> None:
        if stable:
            result.chunks.append(Chunk(tuple(stable)))
            stable.clear()

    for anchor in [*anchors, None]:
        end_b, end_m, end_t = (
            (len(b), len(m), len(t))
            if anchor is None
            else (anchor, in_mine[anchor], in_theirs[anchor])
        )
        rb, rm, rt = tuple(b[at_b:end_b]), tuple(m[at_m:end_m]), tuple(t[at_t:end_t])
        if rb or rm or rt:
            if rm == rb:
                settled: Chunk | None = Chunk(rt, source="theirs" if rt != rb else "same")
            elif rt == rb or rm == rt:
                settled = Chunk(rm, source="mine")
            else:
                settled = None
            if settled is not None and settled.source == "same":
                stable.extend(settled.lines)
            else:
                flush()
                result.chunks.append(
                    settled or Chunk(conflict=True, base=rb, mine=rm, theirs=rt, source="conflict")
                )
        if anchor is None:
            break
        stable.append(b[anchor])
        at_b, at_m, at_t = anchor + 1, in_mine[anchor] + 1, in_theirs[anchor] + 1
    flush()
    return result
