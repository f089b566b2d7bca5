"""search: covering indexes for the visible-first plan (a position's items and letters, a unit's register lines)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 11:20:00

"""
from alembic import op

# bench: indexes only (bench/register_pages.py keeps cached databases and creates these on them)

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_from_position')
        batch_op.create_index('ix_item_position_visible', ['position_id', 'status', 'letter_id', 'id'], unique=False)
        batch_op.create_index('ix_item_from_position_visible', ['from_position_id', 'letter_id', 'id'], unique=False)
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.create_index('ix_register_unit_letter', ['unit_id', 'letter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_register_unit_letter')
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_from_position_visible')
        batch_op.drop_index('ix_item_position_visible')
        batch_op.create_index('ix_item_from_position', ['from_position_id'], unique=False)
