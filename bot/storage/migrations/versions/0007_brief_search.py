"""briefs: ``search_text`` (full-text indexed) and ``embedding`` for ``/latest <words>``

PostgreSQL gets a GIN index on ``to_tsvector('simple', search_text)``. SQLite gets an
external-content FTS5 table ``briefs_fts`` kept in step with ``briefs`` by three triggers
(when the SQLite build has FTS5; without it the search scans a bounded recent window). A later
migration that rebuilds ``briefs`` with ``batch_alter_table`` on SQLite drops the triggers: it
must create them again (``SqlStorage`` falls back to the window scan when they are missing).
Existing briefs get their ``search_text`` here; their embeddings stay empty (no model runs in
a migration), so only briefs recorded from now on are found by meaning.

Revision ID: 0007_brief_search
Revises: 0006_outbox_notices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.core.alerts import normalize

revision: str = '0007_brief_search'
down_revision: str | None = '0006_outbox_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TRIGGERS = (
    "CREATE TRIGGER briefs_fts_insert AFTER INSERT ON briefs BEGIN "
    "INSERT INTO briefs_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER briefs_fts_delete AFTER DELETE ON briefs BEGIN "
    "INSERT INTO briefs_fts(briefs_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER briefs_fts_update AFTER UPDATE OF search_text ON briefs BEGIN "
    "INSERT INTO briefs_fts(briefs_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO briefs_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def _has_fts5(bind: sa.engine.Connection) -> bool:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
            bind.exec_driver_sql("DROP TABLE temp.fts5_probe")
    except sa.exc.OperationalError:
        return False
    return True


def upgrade() -> None:
    with op.batch_alter_table('briefs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('embedding', sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    briefs = sa.table(
        'briefs', sa.column('id'), sa.column('title'), sa.column('summary'), sa.column('search_text')
    )
    rows = bind.execute(sa.select(briefs.c.id, briefs.c.title, briefs.c.summary)).all()
    for i in range(0, len(rows), 1000):
        bind.execute(
            briefs.update().where(briefs.c.id == sa.bindparam('b_id')),
            [
                {'b_id': r.id, 'search_text': normalize(f"{r.title} {r.summary}")}
                for r in rows[i : i + 1000]
            ],
        )
    if bind.dialect.name == 'postgresql':
        op.execute(
            "CREATE INDEX ix_briefs_search ON briefs "
            "USING gin (to_tsvector('simple', search_text))"
        )
    elif bind.dialect.name == 'sqlite' and _has_fts5(bind):
        op.execute(
            "CREATE VIRTUAL TABLE briefs_fts USING fts5("
            "search_text, content='briefs', content_rowid='id')"
        )
        for statement in FTS_TRIGGERS:
            op.execute(statement)
        op.execute("INSERT INTO briefs_fts(briefs_fts) VALUES ('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_briefs_search")
    elif bind.dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS briefs_fts_{name}")
        op.execute("DROP TABLE IF EXISTS briefs_fts")
    with op.batch_alter_table('briefs', schema=None) as batch_op:
        batch_op.drop_column('embedding')
        batch_op.drop_column('search_text')
