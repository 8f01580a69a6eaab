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

KINDS = "('receipt', 'missing', 'approved', 'rejected', 'removed')"


def upgrade():
    op.create_table('notification_wording',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('part', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"kind IN {KINDS}", name=op.f('ck_notification_wording_kind')),
    sa.CheckConstraint("language IN ('fi', 'sv', 'en')", name=op.f('ck_notification_wording_language')),
    sa.CheckConstraint("part IN ('subject.txt', 'body.txt', 'body.html')", name=op.f('ck_notification_wording_part')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_wording')),
    sa.UniqueConstraint('kind', 'language', 'part', name='uq_notification_wording_part')
    )
    op.create_table('notification_bounces',
    sa.Column('mail_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('diagnostic', sa.Text(), nullable=True),
    sa.Column('examined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mail_message_id'], ['mail_messages.id'], name=op.f('fk_notification_bounces_mail_message_id_mail_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_bounces_notification_id_notifications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('mail_message_id', name=op.f('pk_notification_bounces'))
    )
    with op.batch_alter_table('notification_bounces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_bounces_notification_id'), ['notification_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_notifications_state'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_notifications_state'),
            "state IN ('queued', 'sending', 'sent', 'failed', 'bounced')",
        )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_state'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_webhook_deliveries_state'),
            "state IN ('queued', 'sending', 'delivered', 'failed', 'skipped')",
        )


def downgrade():
    # A skipped delivery was given up by an admin; the old schema knows it only as failed.
    op.execute("UPDATE webhook_deliveries SET state = 'failed' WHERE state = 'skipped'")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_state'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_webhook_deliveries_state'),
            "state IN ('queued', 'sending', 'delivered', 'failed')",
        )
    op.execute("UPDATE notifications SET state = 'sent' WHERE state = 'bounced'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_notifications_state'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_notifications_state'),
            "state IN ('queued', 'sending', 'sent', 'failed')",
        )
        batch_op.drop_column('bounced_at')
    with op.batch_alter_table('notification_bounces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_bounces_notification_id'))
    op.drop_table('notification_bounces')
    op.drop_table('notification_wording')
