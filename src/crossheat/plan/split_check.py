"""Validation of a split, independent of how it was found.

A split is valid when every piece is non-empty and single-region, every
node is in exactly one piece, pieces are numbered ``0..k-1`` in deployment
order (whatever a node requires is in its own piece or an earlier one, so
the piece graph is acyclic), and each piece's ``after`` lists exactly the
pieces holding something it directly requires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crossheat.plan.split_pieces import Piece


def problems_with(
    nodes: Mapping[str, str], edges: Sequence[tuple[str, str]], pieces: Sequence[Piece]
) -> list[str]:
    """Every way ``pieces`` fails to split the graph; empty when it is valid."""
    found = _numbering(pieces)
    owner, placed = _placement(nodes, pieces)
    found += placed
    found += [f"{n!r} is in no piece" for n in nodes if n not in owner]
    if found:
        return found
    return _ordering(edges, pieces, owner)


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
