"""What a launch or an update holds between its steps (template, environments, values
typed, hidden ones included), kept in this process as the sessions are, never sent to
the browser: a page carries only the draft's random id.

    drafts = drafts_of(request)
    token = drafts.put(user, Draft(template=text))
    draft = drafts.get(user, token)         # None: unknown, expired, or another session's
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from crossheat.ui.session import UiUser

#: Drafts kept at most (the oldest go first), and how long one lasts.
MAX_DRAFTS = 2_000
MAX_AGE = 3600.0


@dataclass
class Draft:
    """A launch (or an update: ``stack_id``) on its way: the sources and what was typed."""

    template: str | None = None
    template_name: str = "template.yaml"
    #: ``(name, text)`` of each environment, merged in order.
    environments: list[tuple[str, str]] = field(default_factory=list)
    #: The values given (hidden ones too: they stay here).
    parameters: dict[str, str] = field(default_factory=dict, repr=False)
    name: str = ""
    rollback: bool = True
    timeout_mins: int | None = None
    stack_id: str | None = None
    created: float = field(default_factory=time.monotonic)


class Drafts:
    """Drafts by id, each bound to the session that made it."""

    def __init__(self, size: int = MAX_DRAFTS, max_age: float = MAX_AGE) -> None:
        self.size, self.max_age = size, max_age
        self._items: OrderedDict[str, tuple[str, Draft]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, user: UiUser, draft: Draft, token: str | None = None) -> str:
        """Keep ``draft`` (under ``token`` when given: a draft replaced); its id."""
        token = token or secrets.token_urlsafe(24)
        with self._lock:
            self._items[token] = (_owner(user), draft)
            self._items.move_to_end(token)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return token

    def get(self, user: UiUser, token: str | None) -> Draft | None:
        if not token:
            return None
        with self._lock:
            found = self._items.get(token)
        if found is None or found[0] != _owner(user):
            return None
        if time.monotonic() - found[1].created > self.max_age:
            self.drop(token)
            return None
        return found[1]

    def drop(self, token: str) -> None:
        with self._lock:
            self._items.pop(token, None)


def _owner(user: UiUser) -> str:
    """The session (its CSRF secret, random per session) and project a draft belongs to."""
    return f"{user.session.csrf}/{user.project_id}"


_CREATING = threading.Lock()


def drafts_of(request: Request) -> Drafts:
    """The application's drafts (made on first use)."""
    state = request.app.state
    with _CREATING:
        found: Drafts | None = getattr(state, "dashboard_drafts", None)
        if found is None:
            found = state.dashboard_drafts = Drafts()
    return found


def draft_or_404(request: Request, user: UiUser, token: str | None) -> Draft:
    draft = drafts_of(request).get(user, token)
    if draft is None:
        raise HTTPException(404, "This form has expired: start again.")
    return draft
