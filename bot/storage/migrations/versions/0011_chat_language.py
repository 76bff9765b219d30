"""chats.language: the language the bot speaks in a chat (``/language``)

NULL for every existing chat: English until someone whose platform language is one of the
bot's talks to it, or an admin runs ``/language``.

Revision ID: 0011_chat_language
Revises: 0010_living_briefs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011_chat_language'
down_revision: str | None = '0010_living_briefs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): SQLite keeps the table, its rows and triggers.
    op.add_column('chats', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('language')
