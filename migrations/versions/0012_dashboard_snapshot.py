"""dashboard snapshots computed by the worker; an item's children by time (first disposition in one seek)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 11:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dashboard_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('figures', sa.Text(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('computed_for', sa.Date(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('period_start', 'period_end', name='uq_dashboard_snapshot_period')
    )
    op.create_index('ix_dashboard_snapshot_viewed', 'dashboard_snapshot', ['viewed_at'], unique=False)
    op.create_index('ix_item_parent_received', 'inbox_item', ['parent_id', 'received_at'], unique=False)
    op.drop_index('ix_inbox_item_parent_id', table_name='inbox_item')


def downgrade():
    op.create_index('ix_inbox_item_parent_id', 'inbox_item', ['parent_id'], unique=False)
    op.drop_index('ix_item_parent_received', table_name='inbox_item')
    op.drop_index('ix_dashboard_snapshot_viewed', table_name='dashboard_snapshot')
    op.drop_table('dashboard_snapshot')
