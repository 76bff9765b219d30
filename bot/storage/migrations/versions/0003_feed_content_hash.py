"""feeds: ``content_hash`` of the last body parsed (a repeated 200 is treated as a 304)

Revision ID: 0003_feed_content_hash
Revises: 0002_delivery_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_feed_content_hash'
down_revision: str | None = '0002_delivery_outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('content_hash')
