"""search: covering indexes for the visibility rule and the visible-first plan (items by position and by letter,
register lines by unit and by letter)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:20:00

"""
from alembic import op

# bench: indexes only (bench/register_pages.py keeps cached databases and creates these on them)

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_from_position')
        batch_op.drop_index('ix_item_letter')
        batch_op.create_index('ix_item_letter_visible', ['letter_id', 'position_id', 'status', 'from_position_id'],
                              unique=False)
        batch_op.create_index('ix_item_position_visible', ['position_id', 'status', 'letter_id', 'id'], unique=False)
        batch_op.create_index('ix_item_from_position_visible', ['from_position_id', 'letter_id', 'id'], unique=False)
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_register_entry_letter_id')
        batch_op.create_index('ix_register_unit_letter', ['unit_id', 'letter_id'], unique=False)
        batch_op.create_index('ix_register_letter_unit', ['letter_id', 'unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_register_letter_unit')
        batch_op.drop_index('ix_register_unit_letter')
        batch_op.create_index('ix_register_entry_letter_id', ['letter_id'], unique=False)
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_letter_visible')
        batch_op.create_index('ix_item_letter', ['letter_id'], unique=False)
        batch_op.drop_index('ix_item_from_position_visible')
        batch_op.drop_index('ix_item_position_visible')
        batch_op.create_index('ix_item_from_position', ['from_position_id'], unique=False)
