"""What a database holds as stored, for tests that look for secrets in clear or sealed.

``raw_database(url)``: every byte of the SQLite files, or every row of the PostgreSQL
tables as PostgreSQL renders them; ``opened_by(key, raw)``: how many sealed values in it
one key opens.
"""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import create_engine, make_url, text

#: A sealed value (``crossheat.store.secrets``): its Fernet token.
TOKEN = re.compile(rb"enc:v1:([A-Za-z0-9_\-]+=*)")
#: The tables whose rows may hold a secret.
TABLES = ("stacks", "resources", "events", "software_configs", "software_deployments",
          "webhook_deliveries")  # fmt: skip


def raw_database(db_url: str) -> bytes:
    """Every byte of the SQLite files (db, -wal, -shm), or every row of ``TABLES`` as
    PostgreSQL renders it."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        return b"".join(path.read_bytes() for path in Path(url.database).parent.iterdir())
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = [
            conn.execute(text(f"SELECT string_agg(t::text, ' ') FROM {table} t")).scalar()
            for table in TABLES
        ]
    engine.dispose()
    return " ".join(str(row) for row in rows).encode()


def opened_by(key: bytes, raw: bytes) -> int:
    """How many sealed values in ``raw`` that key (alone) opens."""
    fernet, count = Fernet(key), 0
    for token in TOKEN.findall(raw):
        try:
            fernet.decrypt(token)
        except InvalidToken:
            continue
        count += 1
    return count
