"""Heat's batches for a resource group's rolling update and batched create, as pure functions.

As ``heat/scaling/rolling_update.py`` and ``ResourceGroup._get_batches`` /
``_assemble_for_rolling_update`` compute them: each batch is the group's size
while it runs (``capacity``) and how many members get the new definition in it
(``new``: created, or changed in place or by replacement)::

    >>> batches(target=4, current=4, batch_size=2, min_in_service=0)
    [(4, 2), (4, 2)]
    >>> batches(target=2, current=2, batch_size=1, min_in_service=2)  # one spare first
    [(3, 1), (3, 1), (3, 1), (2, 0)]

``batch_members`` says which members a batch holds and which of them change:
the highest indices first, members beyond the target size (or removed) go,
new names are the lowest free ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def batches(
    target: int, current: int, batch_size: int, min_in_service: int
) -> list[tuple[int, int]]:
    """``(capacity, new)`` of each batch taking ``current`` members with an old definition
    to ``target`` members with the new one, ``batch_size`` at a time, keeping at least
    ``min_in_service`` members that are not being changed (spares are made for it)."""
    out: list[tuple[int, int]] = []
    updated = 0
    while not updated >= current == target:
        least = min(min_in_service, target, current)
        size = min(batch_size, max(target - updated, 0))
        capacity = size + max(min(current, target - size), least)
        out.append((capacity, size))
        updated += size - max(capacity - max(current, target), 0)
        current = capacity
    return out


def batch_members(
    members: Sequence[str],
    stale: Collection[str],
    names: Sequence[str],
    target: int,
    capacity: int,
    new: int,
) -> list[tuple[str, bool]]:
    """The members during one batch, each with True when it gets the new definition now.

    ``members`` are the group's members (none removed by a removal policy), in order;
    ``stale`` those whose definition is not the new one yet; ``names`` the first
    ``capacity`` names the group may use; ``target`` the size the group ends with.
    Members not in the result are deleted.
    """
    index = {name: i for i, name in enumerate(names)}

    def priority(name: str) -> int:  # lowest first: deleted, then changed first
        i = index.get(name)
        if i is None:
            return 0
        return target - i if i < target else capacity

    ordered = sorted(members, key=priority)
    kept = ordered[max(0, len(ordered) - capacity) :] if capacity else []
    creates = capacity - len(kept)
    changes = new - creates
    out: list[tuple[str, bool]] = []
    for name in kept:
        change = name in stale and changes > 0
        changes -= change
        out.append((name, change))
    existing = set(members)
    fresh = (name for name in names if name not in existing)
    out += [(next(fresh), True) for _ in range(creates)]
    return out
