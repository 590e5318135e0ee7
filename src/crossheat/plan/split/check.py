"""Validation of a split, independent of how it was found.

A split is valid when every piece is non-empty and single-region, every
node is in exactly one piece, pieces are numbered ``0..k-1`` in deployment
order (whatever a node requires is in its own piece or an earlier one, so
the piece graph is acyclic), and each piece's ``after`` lists exactly the
pieces holding something it directly requires.

And stock Heat can deploy it wave by wave: a piece's wave is later than the
waves of the pieces it waits for, waves never go down in deployment order,
and the two nodes of a pair (the ends of a tunnel, which Heat completes only
together) are in one piece or in pieces of one wave started together
(``together``, which lists exactly the pieces joined to it by pairs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from crossheat.plan.split.pieces import Piece


def problems_with(
    nodes: Mapping[str, str],
    edges: Sequence[tuple[str, str]],
    pieces: Sequence[Piece],
    pairs: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """Every way ``pieces`` fails to split the graph; empty when it is valid."""
    found = _numbering(pieces)
    owner, placed = _placement(nodes, pieces)
    found += placed
    found += [f"{n!r} is in no piece" for n in nodes if n not in owner]
    if found:
        return found
    found = _ordering(edges, pieces, owner)
    return found or _waves(pieces, pairs, owner)


def _waves(
    pieces: Sequence[Piece], pairs: Sequence[tuple[str, str]], owner: Mapping[str, int]
) -> list[str]:
    found = [f"piece {p.index} has wave {p.wave}" for p in pieces if p.wave < 1]
    for piece in pieces:
        found += [
            f"piece {piece.index} (wave {piece.wave}) waits for piece {a} of wave "
            f"{pieces[a].wave}, not an earlier one"
            for a in piece.after
            if pieces[a].wave >= piece.wave
        ]
    found += [
        f"piece {b.index} (wave {b.wave}) comes after piece {a.index} (wave {a.wave})"
        for a, b in pairwise(pieces)
        if b.wave < a.wave
    ]
    joined: list[set[int]] = [set() for _ in pieces]
    for a, b in pairs:
        pa, pb = owner[a], owner[b]
        if pieces[pa].wave != pieces[pb].wave:
            found.append(
                f"{a!r} (piece {pa}, wave {pieces[pa].wave}) and {b!r} (piece {pb}, wave "
                f"{pieces[pb].wave}) are not started together: stock Heat fails the piece "
                "of the first, whose end reads DOWN while the other end does not exist"
            )
        elif pa != pb:
            joined[pa].add(pb)
            joined[pb].add(pa)
    closed = _closure(joined)
    found += [
        f"piece {p.index} is started with {sorted(p.together)}, must be with "
        f"{sorted(closed[p.index])}"
        for p in pieces
        if set(p.together) != closed[p.index]
    ]
    return found


def _closure(joined: list[set[int]]) -> list[set[int]]:
    """Per piece: every other piece reachable through ``joined``."""
    out: list[set[int]] = []
    for start in range(len(joined)):
        seen, stack = {start}, [start]
        while stack:
            for other in joined[stack.pop()]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        out.append(seen - {start})
    return out


def _numbering(pieces: Sequence[Piece]) -> list[str]:
    found = [f"piece at {i} has index {p.index}" for i, p in enumerate(pieces) if p.index != i]
    return found + [f"piece {p.index} is empty" for p in pieces if not p.nodes]


def _placement(
    nodes: Mapping[str, str], pieces: Sequence[Piece]
) -> tuple[dict[str, int], list[str]]:
    owner: dict[str, int] = {}
    found: list[str] = []
    for piece in pieces:
        for node in piece.nodes:
            if node not in nodes:
                found.append(f"piece {piece.index} holds unknown node {node!r}")
            elif node in owner:
                found.append(f"{node!r} is in pieces {owner[node]} and {piece.index}")
            elif nodes[node] != piece.region:
                found.append(f"{node!r} ({nodes[node]}) is in piece {piece.index} ({piece.region})")
            else:
                owner[node] = piece.index
    return owner, found


def _ordering(
    edges: Sequence[tuple[str, str]], pieces: Sequence[Piece], owner: Mapping[str, int]
) -> list[str]:
    found: list[str] = []
    after: list[set[int]] = [set() for _ in pieces]
    for node, req in edges:
        if node not in owner or req not in owner:
            found.append(f"edge ({node!r}, {req!r}) names a node outside the split")
        elif owner[req] > owner[node]:
            found.append(
                f"{node!r} (piece {owner[node]}) requires {req!r} from later piece {owner[req]}"
            )
        elif owner[req] != owner[node]:
            after[owner[node]].add(owner[req])
    for piece in pieces:
        if tuple(sorted(after[piece.index])) != tuple(sorted(piece.after)):
            found.append(
                f"piece {piece.index} waits for {sorted(piece.after)}, "
                f"needs {sorted(after[piece.index])}"
            )
    return found
