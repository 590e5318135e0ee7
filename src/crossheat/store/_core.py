"""What every part of the repository shares: sessions, the secret box, secret scrubbing.

Each public method runs one short transaction (``with self._session() as s``);
database errors leave as ``StoreError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crossheat.errors import StoreError
from crossheat.redact import forget_in_logs, scrub, secret_leaf_paths
from crossheat.store.models import ResourceRow, StackRow
from crossheat.store.secrets import SecretBox


class StoreCore:
    """Sessions, the secret box and, per stack, the secret texts to scrub from reasons."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._box = box
        self._secret_texts: dict[str, set[str]] = {}
        self._extra_secrets: dict[str, set[str]] = {}
        self._secret_guard = threading.Lock()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"state database error: {exc}") from exc

    def remember_secrets(self, stack_id: str, texts: Iterable[str]) -> None:
        """Add texts that must never appear in this stack's events and reasons.

        Hidden parameters and secret properties and attributes written through
        the store are remembered without this call.
        """
        new = {text for text in texts if text}
        with self._secret_guard:
            self._extra_secrets.setdefault(stack_id, set()).update(new)
        forget_in_logs(new)

    def secret_texts(self, stack_id: str) -> set[str]:
        """Every secret text of the stack the store knows (see ``_secrets_of``)."""
        with self._session() as session:
            return self._secrets_of(session, stack_id)

    def _remember_sealed(self, stack_id: str, *documents: object) -> None:
        """Remember the plain texts of the sealed values in ``documents``."""
        texts = set().union(*(self._box.secret_texts(doc) for doc in documents))
        if texts:
            self.remember_secrets(stack_id, texts)

    def _scrub(self, session: Session, stack_id: str, text: str) -> str:
        """``text`` with every secret of the stack replaced by ``******``."""
        if not text:
            return text
        return scrub(text, self._secrets_of(session, stack_id))

    def _seal_secrets(
        self, session: Session, stack_id: str, document: dict[str, Any]
    ) -> dict[str, Any]:
        """``document`` (already a private copy) with every value that holds one of the
        stack's secret texts sealed: what a hidden parameter reached, wherever it went."""
        texts = self._secrets_of(session, stack_id)
        paths = list(secret_leaf_paths(document, texts))
        return self._box.seal_paths(document, paths) if paths else document

    def _secrets_of(self, session: Session, stack_id: str) -> set[str]:
        """The secrets in the database when first asked, and every one written since."""
        with self._secret_guard:
            loaded = self._secret_texts.get(stack_id)
        if loaded is None:
            loaded = self._load_secret_texts(session, stack_id)
            with self._secret_guard:
                self._secret_texts[stack_id] = loaded
            forget_in_logs(loaded)
        with self._secret_guard:
            return loaded | self._extra_secrets.get(stack_id, set())

    def _load_secret_texts(self, session: Session, stack_id: str) -> set[str]:
        texts: set[str] = set()
        stack = session.get(StackRow, stack_id)
        if stack is not None:
            for doc in (stack.parameters, stack.environment, stack.template, stack.previous):
                texts |= self._box.secret_texts(doc)
        rows = session.execute(
            select(ResourceRow.properties, ResourceRow.attributes).where(
                ResourceRow.stack_id == stack_id
            )
        )
        for properties, attributes in rows:
            texts |= self._box.secret_texts(properties) | self._box.secret_texts(attributes)
        return texts
