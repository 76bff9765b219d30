"""feed_owners: chat-added feeds belong to the chats that added them; bot_accounts: the bot
whose chats the database holds

Existing chat-added (untrusted) feeds are given to the chats subscribed to them now.

Revision ID: 0005_feed_owners
Revises: 0003_feed_content_hash
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_feed_owners'
down_revision: str | None = '0004_source_furniture'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_owners',
    sa.Column('feed_id', sa.String(length=64), nullable=False),
    sa.Column('chat_pk', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chat_pk'], ['chats.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feed_id'], ['feeds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feed_id', 'chat_pk')
    )
    with op.batch_alter_table('feed_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_owners_chat_pk'), ['chat_pk'], unique=False)
    op.create_table('bot_accounts',
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('bot_id', sa.String(length=64), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('platform')
    )
    op.execute(
        "INSERT INTO feed_owners (feed_id, chat_pk, created_at) "
        "SELECT s.feed_id, s.chat_pk, s.created_at FROM subscriptions s "
        "JOIN feeds f ON f.id = s.feed_id WHERE f.trusted = false"
    )


def downgrade() -> None:
    op.drop_table('bot_accounts')
    with op.batch_alter_table('feed_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_owners_chat_pk'))
    op.drop_table('feed_owners')
