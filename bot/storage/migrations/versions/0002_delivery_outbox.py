"""delivery: outbox ``batched`` flag; story marks looked up by mark across feeds

Revision ID: 0002_delivery_outbox
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002_delivery_outbox'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('batched', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('story_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_marks_mark'), ['mark'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('story_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_marks_mark'))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('batched')
