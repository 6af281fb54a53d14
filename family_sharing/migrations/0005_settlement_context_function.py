"""The read of settlement_create as a SQL function (decision record 0012). Superseded by
family_settlement (migration 0008); its text stays here, frozen, for this migration and for 0008's
reverse."""

from django.db import migrations

# The read of settlement_create (selectors.settlement_context) as a function too: PL/pgSQL caches the
# plan of its query per session, and planning this seven-way join costs more than running it.
CREATE_CONTEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION family_settlement_context(
    p_beneficiary_card text, p_sharer_card text, p_institution_id bigint, p_scope text, p_key text
) RETURNS TABLE (
    o_beneficiary_id bigint, o_beneficiary_name text, o_sharer_id bigint, o_sharer_status text,
    o_sharer_phone text, o_account_id bigint, o_balance_fen bigint, o_binding_id uuid, o_binding_status text,
    o_institution_code text, o_institution_name text,
    o_existing_id uuid, o_existing_hash text, o_existing_amount_fen bigint, o_existing_balance_after_fen bigint,
    o_existing_binding_id uuid, o_existing_institution_code text, o_existing_created_at timestamptz
)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN QUERY
    SELECT bp.id, bp.name::text, sp.id, sp.status::text, sp.phone::text, a.id, a.balance_fen, b.id,
           b.status::text, i.code::text, i.name::text,
           ex.id, ex.request_hash::text, ex.amount_fen, ex_e.balance_after_fen, ex.binding_id, ex_i.code::text,
           ex.created_at
      FROM (SELECT 1) AS one
      LEFT JOIN accounts_person bp ON bp.card_number = p_beneficiary_card
      LEFT JOIN accounts_person sp ON sp.card_number = p_sharer_card
      LEFT JOIN accounts_personalaccount a ON a.person_id = sp.id
      LEFT JOIN LATERAL (
            SELECT fb.id, fb.status FROM family_sharing_binding fb
             WHERE fb.sharer_id = sp.id AND fb.beneficiary_id = bp.id
             ORDER BY fb.status = 'active' DESC, fb.created_at DESC LIMIT 1) b ON true
      LEFT JOIN accounts_institution i ON i.id = p_institution_id
      LEFT JOIN family_sharing_settlement ex ON ex.scope = p_scope AND ex.idempotency_key = p_key
      LEFT JOIN accounts_accountentry ex_e ON ex_e.id = ex.entry_id
      LEFT JOIN accounts_institution ex_i ON ex_i.id = ex.institution_id;
END
$fn$;
"""

DROP_CONTEXT_FUNCTION = "DROP FUNCTION IF EXISTS family_settlement_context(text, text, bigint, text, text);"


class Migration(migrations.Migration):
    dependencies = [("family_sharing", "0004_settlement_post_function")]

    operations = [migrations.RunSQL(CREATE_CONTEXT_FUNCTION, DROP_CONTEXT_FUNCTION)]
