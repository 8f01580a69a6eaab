"""editable rejection reasons and quarantine re-processing

Revision ID: 0006review
Revises: 0005auth
Create Date: 2026-11-29 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006review'
down_revision = '0005auth'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
