"""indexes for the intake's per-batch lookups

Revision ID: 0009lookups
Revises: 0008disclosures
Create Date: 2026-11-29 11:00:00

A batch of mail looks up earlier messages by Message-ID and state, and the pending requests by
Business ID and state. With an index on the first column alone, SQLite chose the state index
for an IN list of both, and each batch read every parsed message and every pending request.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009lookups'
down_revision = '0008disclosures'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_message_id_state', ['message_id', 'state'], unique=False)
        batch_op.drop_index('ix_mail_messages_message_id')

    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.create_index(
            'ix_registration_requests_business_id_state_id', ['business_id', 'state', 'id'], unique=False
        )
        batch_op.drop_index('ix_registration_requests_business_id')


def downgrade():
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.create_index('ix_registration_requests_business_id', ['business_id'], unique=False)
        batch_op.drop_index('ix_registration_requests_business_id_state_id')

    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_message_id', ['message_id'], unique=False)
        batch_op.drop_index('ix_mail_messages_message_id_state')
