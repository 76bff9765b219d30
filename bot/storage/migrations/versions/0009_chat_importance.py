"""chats: ``importance`` (push a story once this many sources carry it; 1 = at the first)

Revision ID: 0009_chat_importance
Revises: 0008_feed_leases
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_chat_importance'
down_revision: str | None = '0008_feed_leases'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('importance', sa.Integer(), nullable=False, server_default='1')
        )


def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('importance')
