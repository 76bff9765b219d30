"""source_sentences: hashed sentences per feed and story, for learning publisher furniture

Revision ID: 0004_source_furniture
Revises: 0003_feed_content_hash
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004_source_furniture'
down_revision: str | None = '0003_feed_content_hash'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'source_sentences',
        sa.Column('feed_id', sa.String(length=64), nullable=False),
        sa.Column('sentence_hash', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('story_hash', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['feed_id'], ['feeds.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('feed_id', 'sentence_hash', 'story_hash'),
    )
    op.create_index(
        op.f('ix_source_sentences_seen_at'), 'source_sentences', ['seen_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_source_sentences_seen_at'), table_name='source_sentences')
    op.drop_table('source_sentences')
