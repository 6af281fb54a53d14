"""The settlement as one reviewed PL/pgSQL function, `family_settlement(...)`, created by migration
family_sharing/0008_settlement_one_function (decision record 0012) and replaced by
0009_settlement_binding_lock and 0010_settlement_sms_outbox. A change to its text needs a new migration that carries the new text
frozen (CREATE OR REPLACE); a test compares the installed function with CREATE_SETTLE_FUNCTION.

One call is one statement, so one round trip and one transaction on its own (or part of the
caller's, inside `transaction.atomic`), prepared once per connection (SETTLE_CALL through
portal.core.db.prepared_cursor, decision record 0014). In order, it

1. returns the settlement already stored under this counter's idempotency key (a retry): the
   service answers it with the first result, or 409 if the body differs;
2. finds both cards (`missing_card` names the one that is not found: 404), the sharer's personal
   account, the binding between them (an active one first) and the counter's institution;
3. judges the rules of services.RULES that need no lock, in the same order and with the same
   codes — binding active with an account, sharer normal, category allowed for the counter (the
   service decides that, `p_category_allowed`), balance covers the amount — and returns every code
   that applies without taking any lock;
4. locks the sharer's account row (`FOR UPDATE`): every debit of this account queues here;
5. looks for the key again (a request with the same key that committed while this one waited);
6. locks the binding row (`FOR SHARE`, migration 0009) and re-checks under the locks what may have
   changed: binding active, sharer normal, balance, and the binding's monthly cap against this month's settlements that were not reversed (each
   statement of a PL/pgSQL function takes a fresh snapshot in READ COMMITTED, so it sees every
   settlement committed before the lock was granted). The binding's lock makes a settlement wait
   for a revoke (or any other change of the binding) that is in flight and then read its committed
   status: without it the settlement read the old `active` and committed after the revoke had.
   FOR SHARE, not FOR KEY SHARE: KEY SHARE conflicts only with FOR UPDATE, so a plain UPDATE of the
   status (a NO KEY UPDATE lock: an operator's statement, an admin save) would pass it by; SHARE
   conflicts with both, and not with other settlements' SHARE or the foreign-key checks' KEY SHARE;
7. writes the new balance, the ledger entry (with balance_after), the settlement and the sharer's
   in-app message, whose text is `p_body` with the institution's name (or the bureau window) and the
   beneficiary's masked name filled in (`format`, %1$s and %2$s; the mask is portal.core.masking
   .mask_name: the first character, then one * per further character), and, when the sharer has a
   number on file, its SMS copy in the outbox (accounts.outbox, migration 0010): the notice is
   queued in the same transaction as the payment, so it cannot be lost between commit and send.

A refusal writes nothing and returns its reason codes; a failure in any write (a CHECK, the unique
key) aborts the whole statement. The service keeps the rules readable (services.RULES) and maps the
codes to their messages; this function is where they are decided."""

SETTLE_SIGNATURE = (
    "family_settlement(uuid, text, text, text, boolean, bigint, bigint, text, text, bigint, text, text, text, "
    "timestamptz, timestamptz, text, text, text)"
)

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

DROP_SETTLE_FUNCTION = f"DROP FUNCTION IF EXISTS {SETTLE_SIGNATURE};"

# Every parameter cast to the function's own type (SETTLE_SIGNATURE): the call is a prepared
# statement (portal.core.db.prepared_cursor) and one plan serves every value.
SETTLE_CALL = (
    "SELECT * FROM family_settlement(%s::uuid, %s::text, %s::text, %s::text, %s::boolean, %s::bigint, "
    "%s::bigint, %s::text, %s::text, %s::bigint, %s::text, %s::text, %s::text, %s::timestamptz, "
    "%s::timestamptz, %s::text, %s::text, %s::text)"
)
