"""The settlement function queues its SMS copy in the one outbox (accounts.outbox, decision record
0018), in the same statement that writes the payment and the in-app message: a process that dies
after commit no longer loses the sharer's notice. The function's text is frozen here, not imported
(a test compares the installed function with family_sharing/settlement/sql.py and this text). The
reverse restores 0009's text."""

from importlib import import_module

from django.db import migrations

PREVIOUS_SETTLE_FUNCTION = import_module(
    "family_sharing.migrations.0009_settlement_binding_lock"
).CREATE_SETTLE_FUNCTION

CREATE_SETTLE_FUNCTION = """
CREATE OR REPLACE FUNCTION family_settlement(
    p_id uuid,                 -- the new settlement's id
    p_sharer_card text,        -- normalised (upper case)
    p_beneficiary_card text,
    p_category text,
    p_category_allowed boolean, -- services.CATEGORY_OF_ROLE: may this counter settle this category
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
    p_body text,               -- its text; %1$s = institution name, %2$s = masked beneficiary name
    p_bureau_window text       -- the institution name at a bureau window
) RETURNS TABLE (
    missing_card text, refusals text[], settlement_id uuid, amount_fen bigint, balance_after_fen bigint,
    binding_id uuid, institution_code text, created_at timestamptz, request_hash text, replayed boolean,
    sharer_phone text, message_body text
)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
    v_beneficiary_id bigint;
    v_beneficiary_name text;
    v_sharer_id bigint;
    v_sharer_status text;
    v_sharer_phone text;
    v_account_id bigint;
    v_balance bigint;
    v_binding_id uuid;
    v_binding_status text;
    v_limit bigint;
    v_spent bigint;
    v_institution_code text;
    v_institution_name text;
    v_refusals text[] := ARRAY[]::text[];
    v_entry_id bigint;
    v_body text;
    v_message_id bigint;
BEGIN
    -- 1. a retry
    RETURN QUERY
        SELECT NULL::text, ARRAY[]::text[], s.id, s.amount_fen, e.balance_after_fen, s.binding_id,
               i.code::text, s.created_at, s.request_hash::text, true, NULL::text, NULL::text
          FROM family_sharing_settlement s JOIN accounts_accountentry e ON e.id = s.entry_id
          LEFT JOIN accounts_institution i ON i.id = s.institution_id
         WHERE s.scope = p_scope AND s.idempotency_key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;

    -- 2. the cards, the account, the binding, the counter
    SELECT p.id, p.name INTO v_beneficiary_id, v_beneficiary_name
      FROM accounts_person p WHERE p.card_number = p_beneficiary_card;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'beneficiary_card_number'::text, ARRAY[]::text[], NULL::uuid, NULL::bigint,
                            NULL::bigint, NULL::uuid, NULL::text, NULL::timestamptz, NULL::text, false,
                            NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT p.id, p.status, p.phone INTO v_sharer_id, v_sharer_status, v_sharer_phone
      FROM accounts_person p WHERE p.card_number = p_sharer_card;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'sharer_card_number'::text, ARRAY[]::text[], NULL::uuid, NULL::bigint,
                            NULL::bigint, NULL::uuid, NULL::text, NULL::timestamptz, NULL::text, false,
                            NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT a.id, a.balance_fen INTO v_account_id, v_balance
      FROM accounts_personalaccount a WHERE a.person_id = v_sharer_id;
    SELECT b.id, b.status INTO v_binding_id, v_binding_status
      FROM family_sharing_binding b
     WHERE b.sharer_id = v_sharer_id AND b.beneficiary_id = v_beneficiary_id
     ORDER BY b.status = 'active' DESC, b.created_at DESC LIMIT 1;
    IF p_institution_id IS NOT NULL THEN
        SELECT i.code, i.name INTO v_institution_code, v_institution_name
          FROM accounts_institution i WHERE i.id = p_institution_id;
    END IF;

    -- 3. the rules without a lock (services.RULES, same order)
    IF v_binding_status IS DISTINCT FROM 'active' OR v_account_id IS NULL THEN
        v_refusals := v_refusals || 'binding_not_active'::text;
    END IF;
    IF v_sharer_status IS DISTINCT FROM 'normal' THEN
        v_refusals := v_refusals || 'sharer_not_normal'::text;
    END IF;
    IF NOT p_category_allowed THEN
        v_refusals := v_refusals || 'category_not_allowed'::text;
    END IF;
    IF v_balance < p_amount THEN
        v_refusals := v_refusals || 'insufficient_balance'::text;
    END IF;
    IF cardinality(v_refusals) > 0 THEN
        RETURN QUERY SELECT NULL::text, v_refusals, NULL::uuid, NULL::bigint, NULL::bigint, NULL::uuid,
                            NULL::text, NULL::timestamptz, NULL::text, false, NULL::text, NULL::text;
        RETURN;
    END IF;

    -- 4. the lock
    SELECT a.balance_fen INTO v_balance
      FROM accounts_personalaccount a WHERE a.id = v_account_id FOR UPDATE;

    -- 5. the key again: committed while this call waited for the lock
    RETURN QUERY
        SELECT NULL::text, ARRAY[]::text[], s.id, s.amount_fen, e.balance_after_fen, s.binding_id,
               i.code::text, s.created_at, s.request_hash::text, true, NULL::text, NULL::text
          FROM family_sharing_settlement s JOIN accounts_accountentry e ON e.id = s.entry_id
          LEFT JOIN accounts_institution i ON i.id = s.institution_id
         WHERE s.scope = p_scope AND s.idempotency_key = p_key;
    IF FOUND THEN
        RETURN;
    END IF;

    -- 6. under the lock: what may have changed, and the monthly cap
    SELECT b.status, b.monthly_limit_fen, p.status INTO v_binding_status, v_limit, v_sharer_status
      FROM family_sharing_binding b JOIN accounts_person p ON p.id = b.sharer_id
     WHERE b.id = v_binding_id
       FOR SHARE OF b;
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
         WHERE s.binding_id = v_binding_id AND s.created_at >= p_month_start
           AND NOT EXISTS (SELECT 1 FROM family_sharing_reversal r WHERE r.settlement_id = s.id);
        IF v_spent + p_amount > v_limit THEN
            v_refusals := v_refusals || 'binding_limit_exceeded'::text;
        END IF;
    END IF;
    IF cardinality(v_refusals) > 0 THEN
        RETURN QUERY SELECT NULL::text, v_refusals, NULL::uuid, NULL::bigint, NULL::bigint, NULL::uuid,
                            NULL::text, NULL::timestamptz, NULL::text, false, NULL::text, NULL::text;
        RETURN;
    END IF;

    -- 7. the write
    v_body := format(p_body, coalesce(v_institution_name, p_bureau_window),
                     left(v_beneficiary_name, 1) || repeat('*', greatest(char_length(v_beneficiary_name) - 1, 0)));
    UPDATE accounts_personalaccount SET balance_fen = v_balance - p_amount, updated_at = p_now
     WHERE id = v_account_id;
    INSERT INTO accounts_accountentry (public_id, account_id, kind, amount_fen, balance_after_fen,
                                      description, period, beneficiary_id, institution_id, created_at)
    VALUES (gen_random_uuid(), v_account_id, 'family_settlement', -p_amount, v_balance - p_amount,
            p_entry_description, NULL, v_beneficiary_id, p_institution_id, p_now)
    RETURNING id INTO v_entry_id;
    INSERT INTO family_sharing_settlement (id, binding_id, institution_id, scope, staff_id, category,
                                           amount_fen, description, idempotency_key, request_hash,
                                           entry_id, created_at)
    VALUES (p_id, v_binding_id, p_institution_id, p_scope, p_staff_id, p_category, p_amount,
            p_description, p_key, p_hash, v_entry_id, p_now);
    INSERT INTO accounts_message (person_id, subject, body, created_at, read_at)
    VALUES (v_sharer_id, p_subject, v_body, p_now, NULL)
    RETURNING id INTO v_message_id;
    IF v_sharer_phone <> '' THEN
        INSERT INTO accounts_smsoutbox (message_id) VALUES (v_message_id);
    END IF;

    RETURN QUERY SELECT NULL::text, ARRAY[]::text[], p_id, p_amount, v_balance - p_amount, v_binding_id,
                        v_institution_code, p_now, p_hash, false, v_sharer_phone::text, v_body;
END
$fn$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("family_sharing", "0009_settlement_binding_lock"),
        ("accounts", "0014_sms_outbox"),
    ]

    operations = [migrations.RunSQL(CREATE_SETTLE_FUNCTION, PREVIOUS_SETTLE_FUNCTION)]
