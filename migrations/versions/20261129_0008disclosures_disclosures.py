"""the lookup API's disclosure log

Revision ID: 0008disclosures
Revises: 0007notifyadmin
Create Date: 2026-11-29 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008disclosures'
down_revision = '0007notifyadmin'
branch_labels = None
depends_on = None


def upgrade():
    # Unindexed on purpose: the API workers only append here; the compaction job indexes.
    op.create_table('disclosure_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entries', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_batches'))
    )


def downgrade():
    # Staged disclosures are records the law requires: never drop them with the table.
    if op.get_bind().execute(sa.text('SELECT 1 FROM disclosure_batches LIMIT 1')).first():
        raise RuntimeError('disclosure_batches is not empty: run the disclosure compaction first')
    op.drop_table('disclosure_batches')
