"""outbox: ``message_id`` of the pushed message; ``edits``: edits of it when sources join

Revision ID: 0010_living_briefs
Revises: 0009_chat_importance
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_living_briefs'
down_revision: str | None = '0009_chat_importance'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=64), nullable=True))
    op.create_table(
        'edits',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('chat_pk', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['chat_pk'], ['chats.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('outbox_id'),
    )
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.create_index('ix_edits_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_edits_chat_pk'), ['chat_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edits_chat_pk'))
        batch_op.drop_index('ix_edits_due')
    op.drop_table('edits')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('message_id')
