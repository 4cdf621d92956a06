"""The relation graph of an entity: who it links to and who links to it, laid out radially.

Only the layout is computed here (positions, labels, arrow direction); the template draws it
as inline SVG, so every caption goes through the template's escaping. The same links are
listed as plain HTML next to the drawing for keyboard and screen-reader users.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tamiz.model import Entity

WIDTH = 760
CROWDED_WIDTH = 920  # room for the labels of the outer ring
RADIUS = 150
OUTER_RADIUS = 215  # a crowded graph alternates its nodes between two rings
CROWDED = 10
NODE_RADIUS = 9
CENTER_RADIUS = 14
MAX_DRAWN = 24  # more neighbours than this are listed, not drawn
LABEL_CHARS = 28
CROWDED_LABEL_CHARS = 24

RELATION_LABELS = {
    "linked_to": "linked to",
    "leader_of": "leader of",
    "owned_by": "owned by",
    "family": "family",
    "associate": "associate",
}

# Headings of the link list: relations the entry states, and those other entries state.
OUT_TITLES = {
    "linked_to": "Linked to",
    "leader_of": "Leader of",
    "owned_by": "Owned by",
    "family": "Family",
    "associate": "Associates",
}
IN_TITLES = {
    "linked_to": "Entries linked to it",
    "leader_of": "Its leaders",
    "owned_by": "Entries it owns",
    "family": "Family (as named by them)",
    "associate": "Associates (as named by them)",
}


@dataclass(frozen=True, slots=True)
class Link:
    """One relation, as read from the centre entity."""

    kind: str
    label: str  # "linked to", "leader of", ...
    direction: str  # "out": centre -> other; "in": other -> centre
    other_id: str | None  # None when the list names the party but it cannot be resolved
    other_caption: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    id: str | None
    caption: str
    short: str
    x: float
    y: float
    anchor: str  # text-anchor of the label
    label_x: float
    label_y: float
    kinds: str  # relation labels to the centre, for the tooltip


@dataclass(frozen=True, slots=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    label: str
    direction: str
    mid_x: float
    mid_y: float


@dataclass(frozen=True, slots=True)
class Graph:
    width: int
    height: int
    center_x: float
    center_y: float
    center_caption: str
    center_short: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    links: tuple[Link, ...]
    hidden: int  # neighbours listed but not drawn
    label_edges: bool


def relation_links(entity: Entity, incoming: Iterable[tuple[str, str, str]]) -> list[Link]:
    """Outgoing relations of ``entity`` and incoming ones (``EntityRecord.related_from``)."""
    links = [
        Link(
            kind=r.kind.value,
            label=RELATION_LABELS.get(r.kind.value, r.kind.value),
            direction="out",
            other_id=r.target_id,
            other_caption=r.target_name,
            note=r.note,
        )
        for r in entity.relations
    ]
    links += [
        Link(
            kind=kind,
            label=RELATION_LABELS.get(kind, kind),
            direction="in",
            other_id=source_id,
            other_caption=caption,
        )
        for source_id, caption, kind in incoming
        if source_id != entity.id
    ]
    return links


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _point(cx: float, cy: float, radius: float, angle: float) -> tuple[float, float]:
    return cx + radius * math.cos(angle), cy + radius * math.sin(angle)


def layout(entity: Entity, links: list[Link]) -> Graph:
    """Neighbours evenly on a circle around the entity, first one at the top; a crowded
    graph puts every other neighbour on an outer ring, so that labels do not collide."""
    # one node per other party; several relations to the same party share it
    groups: dict[str, list[Link]] = {}
    for link in links:
        groups.setdefault(link.other_id or f"name:{link.other_caption}", []).append(link)
    drawn = list(groups.items())[:MAX_DRAWN]
    crowded = len(drawn) > CROWDED
    outer = OUTER_RADIUS if crowded else RADIUS
    height = int(2 * outer + 90) if len(drawn) > 2 else int(outer + 110)
    width = CROWDED_WIDTH if crowded else WIDTH
    chars = CROWDED_LABEL_CHARS if crowded else LABEL_CHARS
    cx = width / 2
    cy = outer + 45 if len(drawn) > 2 else outer + 40
    nodes, edges = [], []
    count = max(len(drawn), 1)
    for i, (_key, group) in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        radius = OUTER_RADIUS if crowded and i % 2 else RADIUS
        x, y = _point(cx, cy, radius, angle)
        cos, sin = math.cos(angle), math.sin(angle)
        anchor = "middle" if abs(cos) < 0.2 else ("start" if cos > 0 else "end")
        lx, ly = _point(cx, cy, radius + NODE_RADIUS + 5, angle)
        ly += 4 if abs(cos) >= 0.2 else (15 if sin > 0 else -7)
        first = group[0]
        labels = ", ".join(dict.fromkeys(g.label for g in group))
        nodes.append(
            Node(
                id=first.other_id,
                caption=first.other_caption,
                short=_short(first.other_caption, chars),
                x=round(x, 1),
                y=round(y, 1),
                anchor=anchor,
                label_x=round(lx, 1),
                label_y=round(ly, 1),
                kinds=labels,
            )
        )
        # the edge stops at the rims, so that its arrowhead stays visible
        sx, sy = _point(cx, cy, CENTER_RADIUS + 2, angle)
        ex, ey = _point(cx, cy, radius - NODE_RADIUS - 2, angle)
        if first.direction == "in":
            sx, sy, ex, ey = ex, ey, sx, sy
        mx, my = _point(cx, cy, radius / 2, angle)
        edges.append(
            Edge(
                round(sx, 1),
                round(sy, 1),
                round(ex, 1),
                round(ey, 1),
                first.kind,
                labels,
                first.direction,
                round(mx, 1),
                round(my, 1),
            )
        )
    return Graph(
        width=width,
        height=height,
        center_x=cx,
        center_y=cy,
        center_caption=entity.caption,
        center_short=_short(entity.caption),
        nodes=tuple(nodes),
        edges=tuple(edges),
        links=tuple(links),
        hidden=len(groups) - len(drawn),
        label_edges=len(drawn) <= 6,
    )


def grouped(links: Iterable[Link]) -> list[tuple[str, list[Link]]]:
    """The links by direction and kind, for the list beside the drawing."""
    out: dict[str, list[Link]] = {}
    for link in links:
        titles = OUT_TITLES if link.direction == "out" else IN_TITLES
        title = titles.get(link.kind, f"{link.label} ({link.direction})")
        out.setdefault(title, []).append(link)
    return list(out.items())
