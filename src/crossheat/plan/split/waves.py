"""What stock Heat adds to a split: the two ends of a tunnel start together, in waves.

Heat completes an ``OS::Neutron::IPsecSiteConnection`` only once it is
ACTIVE, and it is ACTIVE only once its peer exists; a piece holding one end
can only finish if the piece holding the other end is deployed at the same
time. So the pieces holding the ends of one tunnel form a *group* that is
started together, and no piece of a group may wait (even through other
pieces) for another piece of the same group. Groups are deployed in *waves*:
a group's wave is one more than the latest wave of the pieces it waits for.

Coupled nodes (``Indexed.pairs``, closed transitively into *bundles*) are
therefore in the same wave, and whatever a bundle member needs from another
piece is finished before the wave starts. From that:

- the problem is feasible only if the graph with each bundle contracted to
  one node is acyclic (else one end needs the other: ``CrossheatError``);
- *strict* edges: whatever a member ``b`` needs from another region (found by
  walking back through ``b``'s region) is in an earlier wave than every other
  member ``a``, so ``a``'s piece comes strictly after it;
- lower bounds: the chain bound with strict edges, and per region the most
  pieces of that region any chain needs (a chain meets a region in a new
  piece after a strict edge or a region change), summed over the regions.

Without pairs every group is one piece and the waves are the levels of the
piece graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crossheat.errors import CrossheatError
from crossheat.plan.split.model import Indexed
from crossheat.plan.split.pieces import piece_edges


class Coupling:
    """Bundles of coupled nodes, an order that keeps them together, strict edges, bounds."""

    def __init__(self, ix: Indexed) -> None:
        self.ix = ix
        self.bundle = _bundles(ix)
        groups: dict[int, list[int]] = {}
        for node, root in enumerate(self.bundle):
            groups.setdefault(root, []).append(node)
        #: node -> the other nodes of its bundle
        self.peers: list[tuple[int, ...]] = [
            tuple(m for m in groups[self.bundle[n]] if m != n) for n in range(ix.size)
        ]
        #: bundles (single nodes mostly) in a topological order of the contracted graph
        self.runs = self._contracted_order(groups)
        self.order = [node for run in self.runs for node in run]
        self.strict = self._strict_edges()

    @property
    def coupled(self) -> bool:
        return any(self.peers)

    def finish(self, owner: Sequence[int] | None = None) -> list[float]:
        """When each node finishes, from the start of its piece's group (from time 0 over
        the whole graph when ``owner`` is None): a coupled node ends with its bundle."""
        ix = self.ix
        finish = [0.0] * ix.size
        for run in self.runs:
            for node in run:
                reqs = ix.requires[node]
                if owner is not None:
                    reqs = tuple(r for r in reqs if owner[r] == owner[node])
                finish[node] = max((finish[r] for r in reqs), default=0.0) + ix.duration[node]
            if len(run) > 1:
                last = max(finish[node] for node in run)
                for node in run:
                    finish[node] = last
        return finish

    def _contracted_order(self, groups: dict[int, list[int]]) -> list[list[int]]:
        """Bundles in a topological order of the graph with each bundle one node."""
        ix, bundle = self.ix, self.bundle
        waiting = {root: 0 for root in groups}
        users: dict[int, list[int]] = {root: [] for root in groups}
        for node in range(ix.size):
            for req in ix.requires[node]:
                if bundle[req] == bundle[node]:
                    self._infeasible(groups[bundle[node]])
                waiting[bundle[node]] += 1
                users[bundle[req]].append(bundle[node])
        ready = sorted((root for root, count in waiting.items() if not count), reverse=True)
        order: list[list[int]] = []
        while ready:
            root = ready.pop()
            order.append(groups[root])
            for user in users[root]:
                waiting[user] -= 1
                if not waiting[user]:
                    ready.append(user)
        if sum(len(run) for run in order) < ix.size:
            stuck = [groups[r] for r, count in waiting.items() if count and len(groups[r]) > 1]
            self._infeasible(stuck[0] if stuck else [])
        return order

    def _infeasible(self, members: Sequence[int]) -> None:
        names = ", ".join(self.ix.names[m] for m in members) or "coupled nodes"
        raise CrossheatError(
            f"split: {names} must be created together (stock Heat waits for each end of a "
            "tunnel to be ACTIVE), but one of them needs another first; no split into "
            "single-region stacks can be deployed"
        )

    def _strict_edges(self) -> list[list[int]]:
        """Per node u: the nodes whose piece must come strictly after u's (besides region
        changes): the other members of a bundle whose member needs u across regions."""
        ix = self.ix
        after: list[set[int]] = [set() for _ in range(ix.size)]
        for node in range(ix.size):
            if self.peers[node]:
                for u in _boundary(ix, node):
                    after[u].update(self.peers[node])
        return [sorted(a) for a in after]

    def strict_heights(self) -> list[int]:
        """Per node: pieces the longest chain from it needs, strict edges counting one."""
        ix = self.ix
        height = [1] * ix.size
        for node in reversed(self.order):
            own = ix.region[node]
            best = 1
            for dep in ix.dependents[node]:
                best = max(best, height[dep] + (ix.region[dep] != own))
            for dep in self.strict[node]:
                best = max(best, height[dep] + 1)
            height[node] = best
        return height

    def region_segments(self, region: int) -> list[int]:
        """Per node: pieces of ``region`` that chains from it need (a fresh piece first)."""
        ix = self.ix
        fresh = [0] * ix.size  # this node's own piece counts when it is in the region
        joined = [0] * ix.size  # may share the piece of a same-region node just before it
        for node in reversed(self.order):
            inside = ix.region[node] == region
            best = max((fresh[d] for d in self.strict[node]), default=0)
            for dep in ix.dependents[node]:
                same = inside and ix.region[dep] == region
                best = max(best, joined[dep] if same else fresh[dep])
            joined[node] = best
            fresh[node] = best + 1 if inside else best
        return fresh

    def lower_bound(self) -> int:
        """The strict chain bound and the sum over regions of their segment bounds."""
        if not self.ix.size:
            return 0
        chain = max(self.strict_heights())
        regions = sum(max(self.region_segments(r)) for r in range(len(self.ix.regions)))
        return max(chain, regions)


def _bundles(ix: Indexed) -> list[int]:
    parent = list(range(ix.size))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in ix.pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [root(n) for n in range(ix.size)]


def _boundary(ix: Indexed, node: int) -> set[int]:
    """Nodes of other regions that ``node`` needs through nodes of its own region only."""
    own = ix.region[node]
    seen, stack, found = {node}, [node], set()
    while stack:
        current = stack.pop()
        for req in ix.requires[current]:
            if ix.region[req] != own:
                found.add(req)
            elif req not in seen:
                seen.add(req)
                stack.append(req)
    return found


@dataclass(frozen=True)
class Waves:
    """Per piece: its wave (1-based) and the other pieces of its group."""

    wave: list[int]
    together: list[list[int]]


def piece_groups(coupling: Coupling, owner: Sequence[int], count: int) -> list[int]:
    """Piece -> group id (the smallest piece id in it): pieces joined by coupled nodes."""
    parent = list(range(count))

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for node, peers in enumerate(coupling.peers):
        for peer in peers:
            a, b = root(owner[node]), root(owner[peer])
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [root(p) for p in range(count)]


def waves(coupling: Coupling, owner: Sequence[int], count: int) -> Waves | None:
    """The waves of a split; None when a group waits for itself (Heat could not deploy it)."""
    group = piece_groups(coupling, owner, count)
    after = piece_edges(coupling.ix, owner, count)
    members: dict[int, list[int]] = {}
    for piece in range(count):
        members.setdefault(group[piece], []).append(piece)
    needs = {g: {group[a] for p in ps for a in after[p]} for g, ps in members.items()}
    if any(g in reqs for g, reqs in needs.items()):
        return None
    level: dict[int, int] = {}
    pending = dict(needs)
    while pending:
        ready = [g for g, reqs in pending.items() if reqs <= level.keys()]
        if not ready:
            return None
        for g in ready:
            level[g] = 1 + max((level[r] for r in pending.pop(g)), default=0)
    return Waves(
        wave=[level[group[p]] for p in range(count)],
        together=[[q for q in members[group[p]] if q != p] for p in range(count)],
    )


def coupled_makespan(coupling: Coupling, owner: Sequence[int], count: int) -> float | None:
    """Deployment time when each group starts once every piece its members wait for is
    done, and a coupled node finishes with the last of its bundle; None if invalid."""
    found = waves(coupling, owner, count)
    if found is None:
        return None
    group = piece_groups(coupling, owner, count)
    after = piece_edges(coupling.ix, owner, count)
    span = [0.0] * count
    for node, took in enumerate(coupling.finish(owner)):
        span[owner[node]] = max(span[owner[node]], took)
    begin: dict[int, float] = {}
    end = [0.0] * count
    for piece in sorted(range(count), key=lambda p: found.wave[p]):
        g = group[piece]
        if g not in begin:
            pieces = [q for q in range(count) if group[q] == g]
            begin[g] = max((end[a] for q in pieces for a in after[q]), default=0.0)
            for q in pieces:
                end[q] = begin[g] + span[q]
    return max(end, default=0.0)


def critical_path(coupling: Coupling) -> float:
    """The shortest possible deployment: the longest chain, coupled nodes ending together."""
    return max(coupling.finish(), default=0.0)
