"""change counters of the cached list pages (inbox per position, buku agenda per unit)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_version',
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('key', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key'),
    )


def downgrade():
    op.drop_table('page_version')
