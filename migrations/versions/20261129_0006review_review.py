"""editable rejection reasons and quarantine re-processing

Revision ID: 0006review
Revises: 0005auth
Create Date: 2026-11-29 03:50:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006review'
down_revision = '0005auth'
branch_labels = None
depends_on = None

# The reasons reviewers give most often; admins change them on the rejection reasons page.
SEEDED = [
    (
        "Ei oikeutettu organisaatio",
        "Ej en berättigad organisation",
        "Not an eligible organization",
        "Organisaationne ei kuulu niihin, jotka voivat varata asiakkailleen aikoja Kelan "
        "puhelinpalveluun. Ajanvarausta voivat käyttää organisaatiot, jotka neuvovat tai "
        "auttavat Kelan asiakkaita.",
        "Er organisation hör inte till dem som kan boka tider för sina klienter i FPA:s "
        "telefonservice. Bokningen kan användas av organisationer som ger råd eller hjälp "
        "till FPA:s kunder.",
        "Your organization is not one of those that can book appointments with Kela's "
        "telephone service for their clients. Booking is open to organizations that advise "
        "or assist Kela's customers.",
    ),
    (
        "Y-tunnus ei vastaa organisaatiota",
        "FO-numret motsvarar inte organisationen",
        "Business ID does not match the organization",
        "Ilmoittamanne Y-tunnus kuuluu yritys- ja yhteisötietojärjestelmässä toiselle "
        "organisaatiolle. Tarkistakaa Y-tunnus ja lähettäkää hakemus uudelleen.",
        "Det FO-nummer ni uppgav hör i företags- och organisationsdatasystemet till en annan "
        "organisation. Kontrollera FO-numret och skicka ansökan på nytt.",
        "The Business ID you gave belongs to another organization in the Business Information "
        "System. Please check the Business ID and send the application again.",
    ),
    (
        "Perustelu puuttuu",
        "Motivering saknas",
        "No justification given",
        "Hakemuksesta puuttuu perustelu sille, miksi organisaationne tarvitsee pääsyn Kelan "
        "ajanvarausjärjestelmään. Voitte lähettää hakemuksen uudelleen perustelun kanssa.",
        "Ansökan saknar en motivering till varför er organisation behöver tillgång till FPA:s "
        "bokningssystem. Ni kan skicka ansökan på nytt med en motivering.",
        "The application does not say why your organization needs access to Kela's booking "
        "system. You may send the application again with a justification.",
    ),
]


def upgrade():
    reasons = op.create_table('rejection_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('title_fi', sa.String(length=120), nullable=False),
    sa.Column('title_sv', sa.String(length=120), nullable=False),
    sa.Column('title_en', sa.String(length=120), nullable=False),
    sa.Column('text_fi', sa.Text(), nullable=False),
    sa.Column('text_sv', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejection_reasons'))
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(
        reasons,
        [
            {
                "position": position,
                "active": True,
                "title_fi": row[0], "title_sv": row[1], "title_en": row[2],
                "text_fi": row[3], "text_sv": row[4], "text_en": row[5],
                "updated_at": now,
                "updated_by": "migration",
            }
            for position, row in enumerate(SEEDED, start=1)
        ],
    )
    # The review queue: a tab in arrival order, the name and sender search, the removals tab.
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.create_index('ix_registration_requests_state_id', ['state', 'id'], unique=False)
        batch_op.create_index('ix_registration_requests_updated_at', ['updated_at'], unique=False)
        batch_op.create_index(
            'ix_registration_requests_search',
            ['state', 'id', 'organization_name', 'applicant_address'],
            unique=False,
            postgresql_where=sa.text(
                'octet_length(organization_name) + octet_length(applicant_address) < 2000'
            ),
        )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_kind_id', ['kind', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.create_index(
            'ix_registration_requests_trigrams',
            ['organization_name', 'applicant_address'],
            unique=False,
            postgresql_using='gin',
            postgresql_ops={
                'organization_name': 'gin_trgm_ops',
                'applicant_address': 'gin_trgm_ops',
            },
        )


def downgrade():
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_messages_kind_id')
    with op.batch_alter_table('registration_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_requests_trigrams')
        batch_op.drop_index('ix_registration_requests_search')
        batch_op.drop_index('ix_registration_requests_updated_at')
        batch_op.drop_index('ix_registration_requests_state_id')
    op.drop_table('rejection_reasons')
