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
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_staff_users_oidc_subject'), ['oidc_subject'])


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_staff_users_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
