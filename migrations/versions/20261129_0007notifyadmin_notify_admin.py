"""email wording edited by admins, bounces linked to notifications

Revision ID: 0007notifyadmin
Revises: 0006review
Create Date: 2026-11-29 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007notifyadmin'
down_revision = '0006review'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
