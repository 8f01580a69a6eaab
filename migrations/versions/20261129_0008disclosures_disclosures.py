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
    pass


def downgrade():
    pass
