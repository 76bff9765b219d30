"""feeds: ``leased_until`` and ``lease_owner``, the claim of the worker polling a feed

Revision ID: 0008_feed_leases
Revises: 0007_brief_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_feed_leases'
down_revision: str | None = '0007_brief_search'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leased_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('leased_until')
