"""inbox items carry their letter's confidentiality, for an index-only Rahasia count

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-26 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index('ix_item_position_status')
    # Rahasia / Sangat Rahasia letters (models.letters.CONFIDENTIAL); a letter's sifat never changes.
    op.execute("UPDATE inbox_item SET confidential = true "
               "WHERE letter_id IN (SELECT id FROM letter WHERE sifat IN ('R', 'SR'))")
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.create_index('ix_item_position_status',
                              ['position_id', 'status', 'kind', 'confidential', 'deadline'], unique=False)


def downgrade():
    with op.batch_alter_table('inbox_item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_position_status')
        batch_op.create_index('ix_item_position_status', ['position_id', 'status', 'kind', 'deadline', 'letter_id'],
                              unique=False)
        batch_op.drop_column('confidential')
