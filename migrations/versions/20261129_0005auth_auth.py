"""sign-in through the organization's OpenID Connect provider

Revision ID: 0005auth
Revises: 0004webhooks
Create Date: 2026-11-29 03:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005auth'
down_revision = '0004webhooks'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
