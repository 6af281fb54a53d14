"""The settlement's write path as one reviewed SQL function (decision record 0012). Superseded by
family_settlement (migration 0008); its text stays here, frozen, for this migration and for 0008's
reverse."""

from django.db import migrations

FUNCTION_SIGNATURE = (
    "family_settlement_post(uuid, bigint, uuid, bigint, bigint, text, bigint, bigint, text, text, "
    "bigint, text, text, text, timestamptz, timestamptz, text, text)"
)

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION family_settlement_post(
    p_id uuid,                 -- the new settlement's id
    p_account_id bigint,       -- the sharer's personal account
    p_binding_id uuid,
    p_sharer_id bigint,
    p_beneficiary_id bigint,
    p_category text,
    p_amount bigint,           -- fen, > 0
    p_institution_id bigint,   -- NULL at a bureau window
    p_scope text,              -- the counter: idempotency keys are unique per scope
    p_entry_description text,  -- what the ledger line says (the category, never a diagnosis)
    p_staff_id bigint,
    p_description text,        -- what the staff typed; stays on the settlement
    p_key text,
    p_hash text,
    p_now timestamptz,
    p_month_start timestamptz, -- the cap's month, in Asia/Shanghai
    p_subject text,            -- the sharer's in-app message
    p_body text
) RETURNS TABLE (
    refusals text[], settlement_id uuid, amount_fen bigint, balance_after_fen bigint,
    binding_id uuid, institution_id bigint, created_at timestamptz, request_hash text, replayed boolean
)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_balance bigint;
    v_binding_status text;
    v_sharer_status text;
    v_limit bigint;
    v_spent bigint;
    v_refusals text[] := ARRAY[]::text[];
    v_entry_id bigint;
BEGIN
    SELECT a.balance_fen INTO v_balance
      FROM accounts_personalaccount a WHERE a.id = p_account_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT ARRAY['binding_not_active']::text[], NULL::uuid, NULL::bigint, NULL::bigint,
                            NULL::uuid, NULL::bigint, NULL::timestamptz, NULL::text, false;
        RETURN;
    END IF;

    RETURN QUERY
        SELECT ARRAY[]::text[], s.id, s.amount_fen, e.balance_after_fen, s.binding_id, s.institution_id,
               s.created_at, s.request_hash::text, true
          FROM family_sharing_settlement s JOIN accounts_accountentry e ON e.id = s.entry_id
         WHERE s.scope = p_scope AND s.idempotency_key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;

    SELECT b.status, b.monthly_limit_fen, p.status INTO v_binding_status, v_limit, v_sharer_status
      FROM family_sharing_binding b JOIN accounts_person p ON p.id = b.sharer_id
     WHERE b.id = p_binding_id AND b.sharer_id = p_sharer_id AND b.beneficiary_id = p_beneficiary_id;
    IF v_binding_status IS DISTINCT FROM 'active' THEN
        v_refusals := v_refusals || 'binding_not_active'::text;
    END IF;
    IF v_sharer_status IS DISTINCT FROM 'normal' THEN
        v_refusals := v_refusals || 'sharer_not_normal'::text;
    END IF;
    IF v_balance < p_amount THEN
        v_refusals := v_refusals || 'insufficient_balance'::text;
    END IF;
    IF v_limit IS NOT NULL THEN
        SELECT coalesce(sum(s.amount_fen), 0) INTO v_spent
          FROM family_sharing_settlement s
         WHERE s.binding_id = p_binding_id AND s.created_at >= p_month_start
           AND NOT EXISTS (SELECT 1 FROM family_sharing_reversal r WHERE r.settlement_id = s.id);
        IF v_spent + p_amount > v_limit THEN
            v_refusals := v_refusals || 'binding_limit_exceeded'::text;
        END IF;
    END IF;
    IF cardinality(v_refusals) > 0 THEN
        RETURN QUERY SELECT v_refusals, NULL::uuid, NULL::bigint, v_balance,
                            NULL::uuid, NULL::bigint, NULL::timestamptz, NULL::text, false;
        RETURN;
    END IF;

    UPDATE accounts_personalaccount SET balance_fen = v_balance - p_amount, updated_at = p_now
     WHERE id = p_account_id;
    INSERT INTO accounts_accountentry (public_id, account_id, kind, amount_fen, balance_after_fen,
                                      description, period, beneficiary_id, institution_id, created_at)
    VALUES (gen_random_uuid(), p_account_id, 'family_settlement', -p_amount, v_balance - p_amount,
            p_entry_description, NULL, p_beneficiary_id, p_institution_id, p_now)
    RETURNING id INTO v_entry_id;
    INSERT INTO family_sharing_settlement (id, binding_id, institution_id, scope, staff_id, category,
                                           amount_fen, description, idempotency_key, request_hash,
                                           entry_id, created_at)
    VALUES (p_id, p_binding_id, p_institution_id, p_scope, p_staff_id, p_category, p_amount,
            p_description, p_key, p_hash, v_entry_id, p_now);
    INSERT INTO accounts_message (person_id, subject, body, created_at, read_at)
    VALUES (p_sharer_id, p_subject, p_body, p_now, NULL);

    RETURN QUERY SELECT ARRAY[]::text[], p_id, p_amount, v_balance - p_amount, p_binding_id,
                        p_institution_id, p_now, p_hash, false;
END
$fn$;
"""

DROP_FUNCTION = f"DROP FUNCTION IF EXISTS {FUNCTION_SIGNATURE};"


class Migration(migrations.Migration):
    dependencies = [
        ("family_sharing", "0003_settlement"),
        ("accounts", "0006_ledger_credit_and_counterparty"),
    ]

    operations = [migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION)]
