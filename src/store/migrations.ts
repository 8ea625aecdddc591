import type { Database, Dialect } from "./database.js";

/**
 * Versioned schema. Each migration has one SQL source per dialect, kept side by side so a reader sees
 * where they differ. A migration, once released, is never edited: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: Record<Dialect, string>;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "stores, credentials, audit trail, statements, attachments, documents, activities, agents",
    sql: {
      sqlite: `
CREATE TABLE stores (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE credentials (
  key TEXT PRIMARY KEY,
  store_id TEXT NOT NULL REFERENCES stores(id),
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  label TEXT,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE statements (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  store_id TEXT NOT NULL,
  id TEXT NOT NULL,
  id_key INTEGER NOT NULL,
  stored TEXT NOT NULL,
  credential TEXT NOT NULL,
  voided INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX statements_id_key ON statements (id_key);
CREATE INDEX statements_store_seq ON statements (store_id, seq);
CREATE TABLE terms (
  id INTEGER PRIMARY KEY,
  store_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (store_id, kind, value)
);
CREATE TABLE statement_index (
  term INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (term, seq)
) WITHOUT ROWID;
CREATE TABLE statement_copies (
  seq INTEGER NOT NULL,
  term INTEGER NOT NULL,
  PRIMARY KEY (seq, term)
) WITHOUT ROWID;
CREATE TABLE statement_refs (
  store_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (store_id, target_id, seq)
) WITHOUT ROWID;
CREATE TABLE attachments (
  store_id TEXT NOT NULL,
  sha2 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY (store_id, sha2)
);
CREATE TABLE documents (
  store_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  registration TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content BLOB NOT NULL,
  etag TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (store_id, kind, activity_id, agent, registration, doc_id)
);
CREATE TABLE activities (
  store_id TEXT NOT NULL,
  id TEXT NOT NULL,
  definition TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (store_id, id)
);
CREATE TABLE agents (
  store_id TEXT NOT NULL,
  ifi TEXT NOT NULL,
  agent TEXT NOT NULL,
  PRIMARY KEY (store_id, ifi)
);
`,
      postgres: `
CREATE TABLE stores (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE credentials (
  key TEXT PRIMARY KEY,
  store_id TEXT NOT NULL REFERENCES stores(id),
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  label TEXT,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TABLE statements (
  seq BIGSERIAL PRIMARY KEY,
  store_id TEXT NOT NULL,
  id TEXT NOT NULL,
  id_key BIGINT NOT NULL,
  stored TEXT NOT NULL,
  credential TEXT NOT NULL,
  voided SMALLINT NOT NULL DEFAULT 0,
  body TEXT NOT NULL
);
CREATE INDEX statements_id_key ON statements (id_key);
CREATE INDEX statements_store_seq ON statements (store_id, seq);
CREATE TABLE terms (
  id BIGSERIAL PRIMARY KEY,
  store_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (store_id, kind, value)
);
CREATE TABLE statement_index (
  term BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (term, seq)
);
CREATE TABLE statement_copies (
  seq BIGINT NOT NULL,
  term BIGINT NOT NULL,
  PRIMARY KEY (seq, term)
);
CREATE TABLE statement_refs (
  store_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (store_id, target_id, seq)
);
CREATE TABLE attachments (
  store_id TEXT NOT NULL,
  sha2 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content BYTEA NOT NULL,
  PRIMARY KEY (store_id, sha2)
);
CREATE TABLE documents (
  store_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  agent TEXT NOT NULL,
  registration TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  content BYTEA NOT NULL,
  etag TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (store_id, kind, activity_id, agent, registration, doc_id)
);
CREATE TABLE activities (
  store_id TEXT NOT NULL,
  id TEXT NOT NULL,
  definition TEXT NOT NULL,
  updated TEXT NOT NULL,
  PRIMARY KEY (store_id, id)
);
CREATE TABLE agents (
  store_id TEXT NOT NULL,
  ifi TEXT NOT NULL,
  agent TEXT NOT NULL,
  PRIMARY KEY (store_id, ifi)
);
`,
    },
  },
  {
    version: 2,
    name: "statement ids in their own table, written in sorted bulk with the statement index",
    sql: {
      sqlite: `
DROP INDEX statements_id_key;
CREATE TABLE statement_ids (
  id_key INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (id_key, seq)
) WITHOUT ROWID;
INSERT INTO statement_ids (id_key, seq) SELECT id_key, seq FROM statements;
CREATE TABLE index_watermark (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
);
INSERT INTO index_watermark (id, seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM statements));
`,
      postgres: `
DROP INDEX statements_id_key;
CREATE TABLE statement_ids (
  id_key BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  PRIMARY KEY (id_key, seq)
);
INSERT INTO statement_ids (id_key, seq) SELECT id_key, seq FROM statements;
CREATE TABLE index_watermark (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL
);
INSERT INTO index_watermark (id, seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM statements));
`,
    },
  },
  {
    version: 3,
    name: "pseudonymization domains: keys sealed under the master key, member stores",
    sql: {
      sqlite: `
CREATE TABLE privacy_domains (
  id TEXT PRIMARY KEY,
  iri TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE privacy_domain_keys (
  domain_id TEXT NOT NULL REFERENCES privacy_domains(id),
  key_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT,
  PRIMARY KEY (domain_id, key_id),
  UNIQUE (domain_id, seq)
);
CREATE TABLE privacy_domain_members (
  domain_id TEXT NOT NULL REFERENCES privacy_domains(id),
  store_id TEXT NOT NULL REFERENCES stores(id),
  added_at TEXT NOT NULL,
  PRIMARY KEY (domain_id, store_id)
);
`,
      postgres: `
CREATE TABLE privacy_domains (
  id TEXT PRIMARY KEY,
  iri TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE privacy_domain_keys (
  domain_id TEXT NOT NULL REFERENCES privacy_domains(id),
  key_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sealed BYTEA NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT,
  PRIMARY KEY (domain_id, key_id),
  UNIQUE (domain_id, seq)
);
CREATE TABLE privacy_domain_members (
  domain_id TEXT NOT NULL REFERENCES privacy_domains(id),
  store_id TEXT NOT NULL REFERENCES stores(id),
  added_at TEXT NOT NULL,
  PRIMARY KEY (domain_id, store_id)
);
`,
    },
  },
  {
    version: 4,
    name: "differential privacy: budgets per dataset and consumer, and the charges against them",
    // Amounts of ε and δ are exact decimal text (summed exactly by privacy/dp/ledger.ts), never floats:
    // 0.1 + 0.2 must not exceed a budget of 0.3.
    sql: {
      sqlite: `
CREATE TABLE dp_budgets (
  dataset TEXT NOT NULL,
  consumer TEXT NOT NULL,
  epsilon TEXT NOT NULL,
  delta TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (dataset, consumer)
);
CREATE TABLE dp_charges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset TEXT NOT NULL,
  consumer TEXT NOT NULL,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  statistic TEXT NOT NULL,
  mechanism TEXT NOT NULL,
  epsilon TEXT NOT NULL,
  delta TEXT NOT NULL,
  FOREIGN KEY (dataset, consumer) REFERENCES dp_budgets(dataset, consumer)
);
CREATE INDEX dp_charges_pair ON dp_charges (dataset, consumer, id);
`,
      postgres: `
CREATE TABLE dp_budgets (
  dataset TEXT NOT NULL,
  consumer TEXT NOT NULL,
  epsilon TEXT NOT NULL,
  delta TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (dataset, consumer)
);
CREATE TABLE dp_charges (
  id BIGSERIAL PRIMARY KEY,
  dataset TEXT NOT NULL,
  consumer TEXT NOT NULL,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  statistic TEXT NOT NULL,
  mechanism TEXT NOT NULL,
  epsilon TEXT NOT NULL,
  delta TEXT NOT NULL,
  FOREIGN KEY (dataset, consumer) REFERENCES dp_budgets(dataset, consumer)
);
CREATE INDEX dp_charges_pair ON dp_charges (dataset, consumer, id);
`,
    },
  },
  {
    version: 5,
    name: "differential privacy: budgets in zCDP (ρ) beside (ε, δ), and the ρ each charge costs",
    // accounting is 'approximate' (Σε, Σδ against ε and δ) or 'zcdp' (Σρ against rho; delta is then the
    // δ at which the ledger reports the (ε, δ) that ρ implies). rho is exact decimal text, as ε and δ.
    sql: {
      sqlite: `
ALTER TABLE dp_budgets ADD COLUMN accounting TEXT NOT NULL DEFAULT 'approximate';
ALTER TABLE dp_budgets ADD COLUMN rho TEXT;
ALTER TABLE dp_charges ADD COLUMN rho TEXT;
`,
      postgres: `
ALTER TABLE dp_budgets ADD COLUMN accounting TEXT NOT NULL DEFAULT 'approximate';
ALTER TABLE dp_budgets ADD COLUMN rho TEXT;
ALTER TABLE dp_charges ADD COLUMN rho TEXT;
`,
    },
  },
  // Versions 6-9 are the contract module's; each slot is filled by the part that owns it.
  {
    version: 6,
    name: "participants, signed agreements and their events",
    sql: {
      sqlite: `
CREATE TABLE participants (
  id TEXT PRIMARY KEY REFERENCES stores(id),
  iri TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('operator', 'provider', 'consumer')),
  title TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE participant_keys (
  kid TEXT PRIMARY KEY,
  participant TEXT NOT NULL REFERENCES participants(id),
  public_jwk TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX participant_keys_participant ON participant_keys (participant, created_at);
CREATE TRIGGER participant_keys_revoke_only BEFORE UPDATE ON participant_keys
  WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR NEW.kid IS NOT OLD.kid
    OR NEW.participant IS NOT OLD.participant OR NEW.public_jwk IS NOT OLD.public_jwk
    OR NEW.created_at IS NOT OLD.created_at
  BEGIN SELECT RAISE(ABORT, 'a participant key is only ever revoked, once'); END;
CREATE TRIGGER participant_keys_no_delete BEFORE DELETE ON participant_keys
  BEGIN SELECT RAISE(ABORT, 'participant keys are kept to verify past signatures'); END;
CREATE TABLE agreements (
  id TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  digest TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TRIGGER agreements_no_update BEFORE UPDATE ON agreements
  BEGIN SELECT RAISE(ABORT, 'an agreement is immutable'); END;
CREATE TRIGGER agreements_no_delete BEFORE DELETE ON agreements
  BEGIN SELECT RAISE(ABORT, 'an agreement is immutable'); END;
CREATE TABLE agreement_parties (
  agreement_id TEXT NOT NULL REFERENCES agreements(id),
  participant TEXT NOT NULL REFERENCES participants(id),
  role TEXT NOT NULL,
  PRIMARY KEY (agreement_id, participant)
);
CREATE INDEX agreement_parties_participant ON agreement_parties (participant, agreement_id);
CREATE TRIGGER agreement_parties_no_update BEFORE UPDATE ON agreement_parties
  BEGIN SELECT RAISE(ABORT, 'an agreement is immutable'); END;
CREATE TRIGGER agreement_parties_no_delete BEFORE DELETE ON agreement_parties
  BEGIN SELECT RAISE(ABORT, 'an agreement is immutable'); END;
CREATE TABLE agreement_events (
  agreement_id TEXT NOT NULL REFERENCES agreements(id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  participant TEXT NOT NULL,
  kid TEXT,
  jws TEXT,
  at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (agreement_id, seq)
);
CREATE TRIGGER agreement_events_no_update BEFORE UPDATE ON agreement_events
  BEGIN SELECT RAISE(ABORT, 'agreement events are append-only'); END;
CREATE TRIGGER agreement_events_no_delete BEFORE DELETE ON agreement_events
  BEGIN SELECT RAISE(ABORT, 'agreement events are append-only'); END;
`,
      postgres: `
CREATE TABLE participants (
  id TEXT PRIMARY KEY REFERENCES stores(id),
  iri TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('operator', 'provider', 'consumer')),
  title TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE participant_keys (
  kid TEXT PRIMARY KEY,
  participant TEXT NOT NULL REFERENCES participants(id),
  public_jwk TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX participant_keys_participant ON participant_keys (participant, created_at);
CREATE FUNCTION participant_keys_revoke_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'participant keys are kept to verify past signatures'; END IF;
  IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR NEW.kid IS DISTINCT FROM OLD.kid
    OR NEW.participant IS DISTINCT FROM OLD.participant OR NEW.public_jwk IS DISTINCT FROM OLD.public_jwk
    OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
    RAISE EXCEPTION 'a participant key is only ever revoked, once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER participant_keys_revoke_only BEFORE UPDATE OR DELETE ON participant_keys
  FOR EACH ROW EXECUTE FUNCTION participant_keys_revoke_only();
CREATE TABLE agreements (
  id TEXT PRIMARY KEY,
  document TEXT NOT NULL,
  digest TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE agreement_parties (
  agreement_id TEXT NOT NULL REFERENCES agreements(id),
  participant TEXT NOT NULL REFERENCES participants(id),
  role TEXT NOT NULL,
  PRIMARY KEY (agreement_id, participant)
);
CREATE INDEX agreement_parties_participant ON agreement_parties (participant, agreement_id);
CREATE TABLE agreement_events (
  agreement_id TEXT NOT NULL REFERENCES agreements(id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  participant TEXT NOT NULL,
  kid TEXT,
  jws TEXT,
  at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (agreement_id, seq)
);
CREATE FUNCTION agreements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'an agreement and its events are immutable (%)', TG_TABLE_NAME; END $$;
CREATE TRIGGER agreements_no_change BEFORE UPDATE OR DELETE ON agreements
  FOR EACH ROW EXECUTE FUNCTION agreements_immutable();
CREATE TRIGGER agreement_parties_no_change BEFORE UPDATE OR DELETE ON agreement_parties
  FOR EACH ROW EXECUTE FUNCTION agreements_immutable();
CREATE TRIGGER agreement_events_no_change BEFORE UPDATE OR DELETE ON agreement_events
  FOR EACH ROW EXECUTE FUNCTION agreements_immutable();
`,
    },
  },
  {
    version: 7,
    name: "catalog of dataset offers",
    sql: {
      sqlite: `
CREATE TABLE catalog_entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  store_id TEXT NOT NULL REFERENCES stores(id),
  published_at TEXT NOT NULL,
  published_by TEXT NOT NULL,
  search_text TEXT NOT NULL,
  temporal_start TEXT,
  temporal_end TEXT,
  offer_id TEXT NOT NULL,
  description TEXT NOT NULL,
  offer TEXT NOT NULL,
  access_policy TEXT,
  UNIQUE (dataset_id, version)
);
CREATE INDEX catalog_entries_store ON catalog_entries (store_id, dataset_id);
CREATE INDEX catalog_entries_offer ON catalog_entries (offer_id);
CREATE TABLE catalog_terms (
  entry_seq INTEGER NOT NULL REFERENCES catalog_entries(seq),
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, value, entry_seq)
) WITHOUT ROWID;
CREATE INDEX catalog_terms_entry ON catalog_terms (entry_seq);
CREATE TABLE catalog_withdrawals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  withdrawn_at TEXT NOT NULL,
  withdrawn_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  UNIQUE (dataset_id, version)
);
CREATE TRIGGER catalog_entries_no_update BEFORE UPDATE ON catalog_entries
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
CREATE TRIGGER catalog_entries_no_delete BEFORE DELETE ON catalog_entries
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
CREATE TRIGGER catalog_terms_no_update BEFORE UPDATE ON catalog_terms
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
CREATE TRIGGER catalog_terms_no_delete BEFORE DELETE ON catalog_terms
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
CREATE TRIGGER catalog_withdrawals_no_update BEFORE UPDATE ON catalog_withdrawals
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
CREATE TRIGGER catalog_withdrawals_no_delete BEFORE DELETE ON catalog_withdrawals
  BEGIN SELECT RAISE(ABORT, 'the catalog keeps every version: add a row, never change one'); END;
`,
      postgres: `
CREATE TABLE catalog_entries (
  seq BIGSERIAL PRIMARY KEY,
  dataset_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  store_id TEXT NOT NULL REFERENCES stores(id),
  published_at TEXT NOT NULL,
  published_by TEXT NOT NULL,
  search_text TEXT NOT NULL,
  temporal_start TEXT,
  temporal_end TEXT,
  offer_id TEXT NOT NULL,
  description TEXT NOT NULL,
  offer TEXT NOT NULL,
  access_policy TEXT,
  UNIQUE (dataset_id, version)
);
CREATE INDEX catalog_entries_store ON catalog_entries (store_id, dataset_id);
CREATE INDEX catalog_entries_offer ON catalog_entries (offer_id);
CREATE TABLE catalog_terms (
  entry_seq BIGINT NOT NULL REFERENCES catalog_entries(seq),
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, value, entry_seq)
);
CREATE INDEX catalog_terms_entry ON catalog_terms (entry_seq);
CREATE TABLE catalog_withdrawals (
  seq BIGSERIAL PRIMARY KEY,
  dataset_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  withdrawn_at TEXT NOT NULL,
  withdrawn_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  UNIQUE (dataset_id, version)
);
CREATE FUNCTION catalog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the catalog keeps every version: add a row, never change one'; END $$;
CREATE TRIGGER catalog_entries_no_change BEFORE UPDATE OR DELETE ON catalog_entries
  FOR EACH ROW EXECUTE FUNCTION catalog_append_only();
CREATE TRIGGER catalog_terms_no_change BEFORE UPDATE OR DELETE ON catalog_terms
  FOR EACH ROW EXECUTE FUNCTION catalog_append_only();
CREATE TRIGGER catalog_withdrawals_no_change BEFORE UPDATE OR DELETE ON catalog_withdrawals
  FOR EACH ROW EXECUTE FUNCTION catalog_append_only();
`,
    },
  },
  {
    version: 8,
    name: "Dataspace Protocol negotiations and transfer processes",
    sql: {
      sqlite: `
CREATE TABLE dsp_negotiations (
  local_pid TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('provider', 'consumer')),
  participant TEXT NOT NULL,
  counterparty TEXT NOT NULL,
  provider_pid TEXT,
  consumer_pid TEXT,
  counterparty_address TEXT,
  state TEXT NOT NULL CHECK (state IN ('REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED', 'TERMINATED')),
  offer_id TEXT,
  dataset_id TEXT,
  offer TEXT,
  agreement_id TEXT,
  agreement TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX dsp_negotiations_remote ON dsp_negotiations (role, counterparty, provider_pid, consumer_pid);
CREATE INDEX dsp_negotiations_participant ON dsp_negotiations (participant, created_at);
CREATE INDEX dsp_negotiations_agreement ON dsp_negotiations (agreement_id);
CREATE TABLE dsp_transfers (
  local_pid TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('provider', 'consumer')),
  participant TEXT NOT NULL,
  counterparty TEXT NOT NULL,
  provider_pid TEXT,
  consumer_pid TEXT,
  counterparty_address TEXT,
  state TEXT NOT NULL CHECK (state IN ('REQUESTED', 'STARTED', 'SUSPENDED', 'COMPLETED', 'TERMINATED')),
  agreement_id TEXT NOT NULL,
  format TEXT NOT NULL,
  token_hash TEXT,
  data_address TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX dsp_transfers_remote ON dsp_transfers (role, counterparty, consumer_pid, provider_pid);
CREATE INDEX dsp_transfers_participant ON dsp_transfers (participant, created_at);
CREATE INDEX dsp_transfers_agreement ON dsp_transfers (agreement_id);
CREATE TABLE dsp_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  process TEXT NOT NULL CHECK (process IN ('negotiation', 'transfer')),
  local_pid TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('received', 'sent')),
  type TEXT NOT NULL,
  state_before TEXT,
  state_after TEXT NOT NULL,
  body TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX dsp_messages_process ON dsp_messages (process, local_pid, seq);
CREATE TRIGGER dsp_messages_no_update BEFORE UPDATE ON dsp_messages
  BEGIN SELECT RAISE(ABORT, 'the DSP message history is append-only'); END;
CREATE TRIGGER dsp_messages_no_delete BEFORE DELETE ON dsp_messages
  BEGIN SELECT RAISE(ABORT, 'the DSP message history is append-only'); END;
`,
      postgres: `
CREATE TABLE dsp_negotiations (
  local_pid TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('provider', 'consumer')),
  participant TEXT NOT NULL,
  counterparty TEXT NOT NULL,
  provider_pid TEXT,
  consumer_pid TEXT,
  counterparty_address TEXT,
  state TEXT NOT NULL CHECK (state IN ('REQUESTED', 'OFFERED', 'ACCEPTED', 'AGREED', 'VERIFIED', 'FINALIZED', 'TERMINATED')),
  offer_id TEXT,
  dataset_id TEXT,
  offer TEXT,
  agreement_id TEXT,
  agreement TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX dsp_negotiations_remote ON dsp_negotiations (role, counterparty, provider_pid, consumer_pid);
CREATE INDEX dsp_negotiations_participant ON dsp_negotiations (participant, created_at);
CREATE INDEX dsp_negotiations_agreement ON dsp_negotiations (agreement_id);
CREATE TABLE dsp_transfers (
  local_pid TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('provider', 'consumer')),
  participant TEXT NOT NULL,
  counterparty TEXT NOT NULL,
  provider_pid TEXT,
  consumer_pid TEXT,
  counterparty_address TEXT,
  state TEXT NOT NULL CHECK (state IN ('REQUESTED', 'STARTED', 'SUSPENDED', 'COMPLETED', 'TERMINATED')),
  agreement_id TEXT NOT NULL,
  format TEXT NOT NULL,
  token_hash TEXT,
  data_address TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX dsp_transfers_remote ON dsp_transfers (role, counterparty, consumer_pid, provider_pid);
CREATE INDEX dsp_transfers_participant ON dsp_transfers (participant, created_at);
CREATE INDEX dsp_transfers_agreement ON dsp_transfers (agreement_id);
CREATE TABLE dsp_messages (
  seq BIGSERIAL PRIMARY KEY,
  process TEXT NOT NULL CHECK (process IN ('negotiation', 'transfer')),
  local_pid TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('received', 'sent')),
  type TEXT NOT NULL,
  state_before TEXT,
  state_after TEXT NOT NULL,
  body TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX dsp_messages_process ON dsp_messages (process, local_pid, seq);
CREATE FUNCTION dsp_messages_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the DSP message history is append-only'; END $$;
CREATE TRIGGER dsp_messages_no_change BEFORE UPDATE OR DELETE ON dsp_messages
  FOR EACH ROW EXECUTE FUNCTION dsp_messages_append_only();
`,
    },
  },
  {
    version: 9,
    name: "policy decisions: usage counters and tracked duties",
    sql: {
      sqlite: `
-- Uses of each permission under an agreement: ODRL count and elapsedTime are read from here.
CREATE TABLE contract_usage (
  agreement_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_use TEXT NOT NULL,
  last_use TEXT NOT NULL,
  PRIMARY KEY (agreement_id, rule)
);
-- Duties opened by permitted decisions (and consequences of violated ones), tracked to completion.
CREATE TABLE contract_duties (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  duty TEXT NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  origin TEXT NOT NULL,
  assignee TEXT,
  due TEXT,
  state TEXT NOT NULL CHECK (state IN ('open', 'fulfilled', 'violated')),
  evidence TEXT,
  opened_at TEXT NOT NULL,
  closed_at TEXT,
  UNIQUE (agreement_id, duty)
);
CREATE INDEX contract_duties_due ON contract_duties (state, due);
-- The request a party was last permitted for a step (the transfer hook decides each page on it).
CREATE TABLE contract_step_grants (
  agreement_id TEXT NOT NULL,
  step TEXT NOT NULL,
  actor TEXT NOT NULL,
  request TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  PRIMARY KEY (agreement_id, step)
);
CREATE TABLE contract_duty_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  duty_id TEXT NOT NULL REFERENCES contract_duties(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX contract_duty_history_duty ON contract_duty_history (duty_id, seq);
CREATE TRIGGER contract_duty_history_no_update BEFORE UPDATE ON contract_duty_history
  BEGIN SELECT RAISE(ABORT, 'the duty history is append-only'); END;
CREATE TRIGGER contract_duty_history_no_delete BEFORE DELETE ON contract_duty_history
  BEGIN SELECT RAISE(ABORT, 'the duty history is append-only'); END;
`,
      postgres: `
-- Uses of each permission under an agreement: ODRL count and elapsedTime are read from here.
CREATE TABLE contract_usage (
  agreement_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_use TEXT NOT NULL,
  last_use TEXT NOT NULL,
  PRIMARY KEY (agreement_id, rule)
);
-- Duties opened by permitted decisions (and consequences of violated ones), tracked to completion.
CREATE TABLE contract_duties (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  duty TEXT NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  origin TEXT NOT NULL,
  assignee TEXT,
  due TEXT,
  state TEXT NOT NULL CHECK (state IN ('open', 'fulfilled', 'violated')),
  evidence TEXT,
  opened_at TEXT NOT NULL,
  closed_at TEXT,
  UNIQUE (agreement_id, duty)
);
CREATE INDEX contract_duties_due ON contract_duties (state, due);
-- The request a party was last permitted for a step (the transfer hook decides each page on it).
CREATE TABLE contract_step_grants (
  agreement_id TEXT NOT NULL,
  step TEXT NOT NULL,
  actor TEXT NOT NULL,
  request TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  PRIMARY KEY (agreement_id, step)
);
CREATE TABLE contract_duty_history (
  seq BIGSERIAL PRIMARY KEY,
  duty_id TEXT NOT NULL REFERENCES contract_duties(id),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX contract_duty_history_duty ON contract_duty_history (duty_id, seq);
CREATE FUNCTION contract_duty_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the duty history is append-only'; END $$;
CREATE TRIGGER contract_duty_history_no_change BEFORE UPDATE OR DELETE ON contract_duty_history
  FOR EACH ROW EXECUTE FUNCTION contract_duty_history_append_only();
`,
    },
  },
  // Versions 10-11 are the consent module's.
  {
    version: 10,
    name: "consent records, their events, guardians and the registry's keys",
    sql: {
      sqlite: `
-- Consent records (ISO/IEC TS 27560 structure), one per (learner, agreement, purpose, recipient,
-- data category). What a record asks is fixed at its creation: never updated, never deleted.
CREATE TABLE consent_records (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  provider TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  data_category TEXT NOT NULL,
  record TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (agreement_id, learner, purpose, recipient, data_category)
);
CREATE INDEX consent_records_learner ON consent_records (learner, agreement_id);
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
  BEGIN SELECT RAISE(ABORT, 'consent records are never updated'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
  BEGIN SELECT RAISE(ABORT, 'consent records are never deleted'); END;
-- Every change of a record: the event, who made it, the state after it and the receipt returned.
CREATE TABLE consent_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id TEXT NOT NULL REFERENCES consent_records(id),
  n INTEGER NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('request', 'give', 'refuse', 'withdraw', 'expire', 'invalidate')),
  by_role TEXT NOT NULL CHECK (by_role IN ('learner', 'guardian', 'provider', 'system')),
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL,
  details TEXT NOT NULL,
  receipt TEXT NOT NULL,
  receipt_hash TEXT NOT NULL,
  UNIQUE (record_id, n)
);
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
  BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
  BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
-- The current state of each record, derived from its events in the same transaction (an index:
-- rebuildable from consent_events). valid_from/valid_until bound when a given consent counts.
CREATE TABLE consent_current (
  record_id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  data_category TEXT NOT NULL,
  state TEXT NOT NULL,
  n INTEGER NOT NULL,
  valid_from TEXT,
  valid_until TEXT,
  derived TEXT NOT NULL
);
CREATE INDEX consent_current_learner ON consent_current (learner, agreement_id);
CREATE INDEX consent_current_until ON consent_current (state, valid_until);
-- Cohorts: who consents now to one (agreement, purpose, data category, recipient), what dataset
-- builds ask. Derived like consent_current (rows come and go with it, rebuildable): a member is a
-- learner whose record is given or renewed, with its validity window in epoch milliseconds, so that
-- a cohort of a million is one short range scan returning pseudonyms in order.
CREATE TABLE consent_cohorts (
  id INTEGER PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  data_category TEXT NOT NULL,
  recipient TEXT NOT NULL,
  UNIQUE (agreement_id, purpose, data_category, recipient)
);
CREATE TABLE consent_cohort_members (
  cohort INTEGER NOT NULL,
  learner TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL,
  PRIMARY KEY (cohort, learner)
) WITHOUT ROWID;
-- Portal links already used for a change (their nonce): a link changes state once.
CREATE TABLE consent_link_uses (
  nonce TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  used_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
-- The consent registry's Ed25519 keys; the private half sealed under the master key.
CREATE TABLE consent_registry_keys (
  kid TEXT PRIMARY KEY,
  public_jwk TEXT NOT NULL,
  sealed_private BLOB NOT NULL,
  created_at TEXT NOT NULL
);
-- One row per state change, for the notifications side to read by seq (append-only).
CREATE TABLE consent_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_seq INTEGER NOT NULL,
  record_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  event TEXT NOT NULL,
  state_before TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX consent_outbox_agreement ON consent_outbox (agreement_id, seq);
CREATE TRIGGER consent_outbox_no_update BEFORE UPDATE ON consent_outbox
  BEGIN SELECT RAISE(ABORT, 'the consent outbox is append-only'); END;
CREATE TRIGGER consent_outbox_no_delete BEFORE DELETE ON consent_outbox
  BEGIN SELECT RAISE(ABORT, 'the consent outbox is append-only'); END;
`,
      postgres: `
-- Consent records (ISO/IEC TS 27560 structure), one per (learner, agreement, purpose, recipient,
-- data category). What a record asks is fixed at its creation: never updated, never deleted.
CREATE TABLE consent_records (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  provider TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  data_category TEXT NOT NULL,
  record TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (agreement_id, learner, purpose, recipient, data_category)
);
CREATE INDEX consent_records_learner ON consent_records (learner, agreement_id);
CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'consent records are never updated nor deleted'; END $$;
CREATE TRIGGER consent_records_no_change BEFORE UPDATE OR DELETE ON consent_records
  FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
-- Every change of a record: the event, who made it, the state after it and the receipt returned.
CREATE TABLE consent_events (
  seq BIGSERIAL PRIMARY KEY,
  record_id TEXT NOT NULL REFERENCES consent_records(id),
  n INTEGER NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('request', 'give', 'refuse', 'withdraw', 'expire', 'invalidate')),
  by_role TEXT NOT NULL CHECK (by_role IN ('learner', 'guardian', 'provider', 'system')),
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL,
  details TEXT NOT NULL,
  receipt TEXT NOT NULL,
  receipt_hash TEXT NOT NULL,
  UNIQUE (record_id, n)
);
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'consent events are append-only'; END $$;
CREATE TRIGGER consent_events_no_change BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
-- The current state of each record, derived from its events in the same transaction (an index:
-- rebuildable from consent_events). valid_from/valid_until bound when a given consent counts.
CREATE TABLE consent_current (
  record_id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  purpose TEXT NOT NULL,
  recipient TEXT NOT NULL,
  data_category TEXT NOT NULL,
  state TEXT NOT NULL,
  n INTEGER NOT NULL,
  valid_from TEXT,
  valid_until TEXT,
  derived TEXT NOT NULL
);
CREATE INDEX consent_current_learner ON consent_current (learner, agreement_id);
CREATE INDEX consent_current_until ON consent_current (state, valid_until);
-- Cohorts: who consents now to one (agreement, purpose, data category, recipient), what dataset
-- builds ask. Derived like consent_current (rows come and go with it, rebuildable): a member is a
-- learner whose record is given or renewed, with its validity window in epoch milliseconds, so that
-- a cohort of a million is one short range scan returning pseudonyms in order.
CREATE TABLE consent_cohorts (
  id BIGSERIAL PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  data_category TEXT NOT NULL,
  recipient TEXT NOT NULL,
  UNIQUE (agreement_id, purpose, data_category, recipient)
);
CREATE TABLE consent_cohort_members (
  cohort BIGINT NOT NULL,
  -- Byte order, as the sorted set the query returns: the index then hands pseudonyms over in order.
  learner TEXT COLLATE "C" NOT NULL,
  valid_from BIGINT NOT NULL,
  valid_until BIGINT NOT NULL,
  PRIMARY KEY (cohort, learner)
);
CREATE INDEX consent_cohort_members_scan ON consent_cohort_members (cohort, learner) INCLUDE (valid_from, valid_until);
-- Portal links already used for a change (their nonce): a link changes state once.
CREATE TABLE consent_link_uses (
  nonce TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  used_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
-- The consent registry's Ed25519 keys; the private half sealed under the master key.
CREATE TABLE consent_registry_keys (
  kid TEXT PRIMARY KEY,
  public_jwk TEXT NOT NULL,
  sealed_private BYTEA NOT NULL,
  created_at TEXT NOT NULL
);
-- One row per state change, for the notifications side to read by seq (append-only).
CREATE TABLE consent_outbox (
  seq BIGSERIAL PRIMARY KEY,
  event_seq BIGINT NOT NULL,
  record_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  event TEXT NOT NULL,
  state_before TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX consent_outbox_agreement ON consent_outbox (agreement_id, seq);
CREATE FUNCTION consent_outbox_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the consent outbox is append-only'; END $$;
CREATE TRIGGER consent_outbox_no_change BEFORE UPDATE OR DELETE ON consent_outbox
  FOR EACH ROW EXECUTE FUNCTION consent_outbox_append_only();
`,
    },
  },
  {
    version: 11,
    name: "consent notices and notifications to consumers",
    sql: {
      sqlite: `
-- Notices shown before consent, content-addressed: the id is made from the SHA-256 of the RFC 8785
-- form; a record references (id, digest). Never changed.
CREATE TABLE consent_notices (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  agreement_id TEXT NOT NULL,
  language TEXT NOT NULL,
  audience TEXT NOT NULL,
  notice TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX consent_notices_agreement ON consent_notices (agreement_id, language, audience);
CREATE TRIGGER consent_notices_no_update BEFORE UPDATE ON consent_notices
  BEGIN SELECT RAISE(ABORT, 'a notice is never changed'); END;
CREATE TRIGGER consent_notices_no_delete BEFORE DELETE ON consent_notices
  BEGIN SELECT RAISE(ABORT, 'a notice is never deleted'); END;
-- Where each consumer participant receives notifications, and the HMAC-SHA256 key of their signature.
CREATE TABLE consent_webhooks (
  participant TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  registered_by TEXT NOT NULL
);
-- A learner's withdrawal or expiry under an agreement: what dataset builds (module pool) consult to
-- leave the learner out of builds that start at or after effective_at, and to flag dataset versions
-- built before it that include the learner. The measure columns are set once, when the last
-- consumer acknowledges.
CREATE TABLE consent_withdrawals (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('withdrawn', 'expired', 'invalidated')),
  effective_at TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  consumers INTEGER NOT NULL,
  completed_at TEXT,
  latency_ms INTEGER
);
CREATE INDEX consent_withdrawals_learner ON consent_withdrawals (agreement_id, learner, effective_at);
CREATE INDEX consent_withdrawals_since ON consent_withdrawals (agreement_id, effective_at);
CREATE TRIGGER consent_withdrawals_fixed BEFORE UPDATE ON consent_withdrawals
  WHEN NEW.id IS NOT OLD.id OR NEW.agreement_id IS NOT OLD.agreement_id OR NEW.learner IS NOT OLD.learner
    OR NEW.kind IS NOT OLD.kind OR NEW.effective_at IS NOT OLD.effective_at OR NEW.recorded_at IS NOT OLD.recorded_at
    OR NEW.consumers IS NOT OLD.consumers OR OLD.completed_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a withdrawal is fixed; only its completion is set, once'); END;
CREATE TRIGGER consent_withdrawals_no_delete BEFORE DELETE ON consent_withdrawals
  BEGIN SELECT RAISE(ABORT, 'a withdrawal is never deleted'); END;
-- The consent records (and their purposes) a withdrawal ended.
CREATE TABLE consent_withdrawal_records (
  withdrawal_id TEXT NOT NULL REFERENCES consent_withdrawals(id),
  record_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  PRIMARY KEY (withdrawal_id, record_id)
);
CREATE INDEX consent_withdrawal_records_record ON consent_withdrawal_records (record_id);
-- The outbox: one notification per withdrawal and consumer, written in the transaction of the state
-- change, delivered by webhook until acknowledged (2xx, or acknowledged through the API).
CREATE TABLE consent_notifications (
  id TEXT PRIMARY KEY,
  withdrawal_id TEXT NOT NULL REFERENCES consent_withdrawals(id),
  agreement_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  deletion_duty TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged')),
  attempts INTEGER NOT NULL,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  UNIQUE (withdrawal_id, consumer)
);
CREATE INDEX consent_notifications_due ON consent_notifications (state, next_attempt_at);
CREATE INDEX consent_notifications_consumer ON consent_notifications (consumer, created_at);
-- Every delivery attempt (append-only).
CREATE TABLE consent_notification_attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  notification_id TEXT NOT NULL REFERENCES consent_notifications(id),
  at TEXT NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX consent_notification_attempts_of ON consent_notification_attempts (notification_id, seq);
CREATE TRIGGER consent_notification_attempts_no_update BEFORE UPDATE ON consent_notification_attempts
  BEGIN SELECT RAISE(ABORT, 'delivery attempts are append-only'); END;
CREATE TRIGGER consent_notification_attempts_no_delete BEFORE DELETE ON consent_notification_attempts
  BEGIN SELECT RAISE(ABORT, 'delivery attempts are append-only'); END;
`,
      postgres: `
-- Notices shown before consent, content-addressed: the id is made from the SHA-256 of the RFC 8785
-- form; a record references (id, digest). Never changed.
CREATE TABLE consent_notices (
  id TEXT PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  agreement_id TEXT NOT NULL,
  language TEXT NOT NULL,
  audience TEXT NOT NULL,
  notice TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX consent_notices_agreement ON consent_notices (agreement_id, language, audience);
CREATE FUNCTION consent_notices_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a notice is never changed nor deleted'; END $$;
CREATE TRIGGER consent_notices_no_change BEFORE UPDATE OR DELETE ON consent_notices
  FOR EACH ROW EXECUTE FUNCTION consent_notices_fixed();
-- Where each consumer participant receives notifications, and the HMAC-SHA256 key of their signature.
CREATE TABLE consent_webhooks (
  participant TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  registered_by TEXT NOT NULL
);
-- A learner's withdrawal or expiry under an agreement: what dataset builds (module pool) consult to
-- leave the learner out of builds that start at or after effective_at, and to flag dataset versions
-- built before it that include the learner. The measure columns are set once, when the last
-- consumer acknowledges.
CREATE TABLE consent_withdrawals (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  learner TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('withdrawn', 'expired', 'invalidated')),
  effective_at TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  consumers INTEGER NOT NULL,
  completed_at TEXT,
  latency_ms INTEGER
);
CREATE INDEX consent_withdrawals_learner ON consent_withdrawals (agreement_id, learner, effective_at);
CREATE INDEX consent_withdrawals_since ON consent_withdrawals (agreement_id, effective_at);
CREATE FUNCTION consent_withdrawals_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'a withdrawal is never deleted'; END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.agreement_id IS DISTINCT FROM OLD.agreement_id
    OR NEW.learner IS DISTINCT FROM OLD.learner OR NEW.kind IS DISTINCT FROM OLD.kind
    OR NEW.effective_at IS DISTINCT FROM OLD.effective_at OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at
    OR NEW.consumers IS DISTINCT FROM OLD.consumers OR OLD.completed_at IS NOT NULL THEN
    RAISE EXCEPTION 'a withdrawal is fixed; only its completion is set, once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER consent_withdrawals_fixed BEFORE UPDATE OR DELETE ON consent_withdrawals
  FOR EACH ROW EXECUTE FUNCTION consent_withdrawals_fixed();
-- The consent records (and their purposes) a withdrawal ended.
CREATE TABLE consent_withdrawal_records (
  withdrawal_id TEXT NOT NULL REFERENCES consent_withdrawals(id),
  record_id TEXT NOT NULL,
  purpose TEXT NOT NULL,
  PRIMARY KEY (withdrawal_id, record_id)
);
CREATE INDEX consent_withdrawal_records_record ON consent_withdrawal_records (record_id);
-- The outbox: one notification per withdrawal and consumer, written in the transaction of the state
-- change, delivered by webhook until acknowledged (2xx, or acknowledged through the API).
CREATE TABLE consent_notifications (
  id TEXT PRIMARY KEY,
  withdrawal_id TEXT NOT NULL REFERENCES consent_withdrawals(id),
  agreement_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  deletion_duty TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged')),
  attempts INTEGER NOT NULL,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  UNIQUE (withdrawal_id, consumer)
);
CREATE INDEX consent_notifications_due ON consent_notifications (state, next_attempt_at);
CREATE INDEX consent_notifications_consumer ON consent_notifications (consumer, created_at);
-- Every delivery attempt (append-only).
CREATE TABLE consent_notification_attempts (
  seq BIGSERIAL PRIMARY KEY,
  notification_id TEXT NOT NULL REFERENCES consent_notifications(id),
  at TEXT NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX consent_notification_attempts_of ON consent_notification_attempts (notification_id, seq);
CREATE FUNCTION consent_notification_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'delivery attempts are append-only'; END $$;
CREATE TRIGGER consent_notification_attempts_no_change BEFORE UPDATE OR DELETE ON consent_notification_attempts
  FOR EACH ROW EXECUTE FUNCTION consent_notification_attempts_append_only();
`,
    },
  },
  {
    version: 12,
    name: "participant categories (recipient categories of consent, ODRL partOf collections)",
    sql: {
      sqlite: `
-- The categories (collections) a participant belongs to, assigned by the operator: a consent whose
-- recipient is a category counts for the participants in it, and the catalog's access policies see
-- them as ODRL partOf. A row is never deleted: a removal sets removed_at, once.
CREATE TABLE participant_categories (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  participant TEXT NOT NULL REFERENCES participants(id),
  category TEXT NOT NULL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL,
  removed_at TEXT,
  removed_by TEXT
);
CREATE UNIQUE INDEX participant_categories_current ON participant_categories (participant, category)
  WHERE removed_at IS NULL;
CREATE INDEX participant_categories_of ON participant_categories (participant, added_at);
CREATE TRIGGER participant_categories_remove_once BEFORE UPDATE ON participant_categories
  WHEN OLD.removed_at IS NOT NULL OR NEW.removed_at IS NULL OR NEW.removed_by IS NULL
    OR NEW.seq IS NOT OLD.seq OR NEW.participant IS NOT OLD.participant OR NEW.category IS NOT OLD.category
    OR NEW.added_at IS NOT OLD.added_at OR NEW.added_by IS NOT OLD.added_by
  BEGIN SELECT RAISE(ABORT, 'a participant category is only ever removed, once'); END;
CREATE TRIGGER participant_categories_no_delete BEFORE DELETE ON participant_categories
  BEGIN SELECT RAISE(ABORT, 'participant categories are kept: remove one by setting removed_at'); END;
`,
      postgres: `
-- The categories (collections) a participant belongs to, assigned by the operator: a consent whose
-- recipient is a category counts for the participants in it, and the catalog's access policies see
-- them as ODRL partOf. A row is never deleted: a removal sets removed_at, once.
CREATE TABLE participant_categories (
  seq BIGSERIAL PRIMARY KEY,
  participant TEXT NOT NULL REFERENCES participants(id),
  category TEXT NOT NULL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL,
  removed_at TEXT,
  removed_by TEXT
);
CREATE UNIQUE INDEX participant_categories_current ON participant_categories (participant, category)
  WHERE removed_at IS NULL;
CREATE INDEX participant_categories_of ON participant_categories (participant, added_at);
CREATE FUNCTION participant_categories_remove_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'participant categories are kept: remove one by setting removed_at';
  END IF;
  IF OLD.removed_at IS NOT NULL OR NEW.removed_at IS NULL OR NEW.removed_by IS NULL
    OR NEW.seq IS DISTINCT FROM OLD.seq OR NEW.participant IS DISTINCT FROM OLD.participant
    OR NEW.category IS DISTINCT FROM OLD.category OR NEW.added_at IS DISTINCT FROM OLD.added_at
    OR NEW.added_by IS DISTINCT FROM OLD.added_by THEN
    RAISE EXCEPTION 'a participant category is only ever removed, once';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER participant_categories_remove_once BEFORE UPDATE OR DELETE ON participant_categories
  FOR EACH ROW EXECUTE FUNCTION participant_categories_remove_once();
`,
    },
  },
  {
    version: 13,
    name: "dataset versions (pool registry)",
    sql: {
      sqlite: `
-- A dataset version the pool built under an agreement: where it lives, what it holds (the lineage's
-- Merkle root, every file with its SHA-256 at recording), and its state. What made it never changes;
-- the state only moves forward, once each: current → superseded (a member withdrew or expired after
-- the build) → deleted (the agreement ended), or current → deleted.
CREATE TABLE dataset_versions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  dir TEXT NOT NULL,
  merkle_root TEXT NOT NULL,
  records INTEGER NOT NULL,
  learners INTEGER NOT NULL,
  purpose TEXT,
  files TEXT NOT NULL,
  summary TEXT NOT NULL,
  spec_digest TEXT,
  built_at TEXT NOT NULL,
  built_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'superseded', 'deleted')),
  superseded_at TEXT,
  superseded_reason TEXT,
  deleted_at TEXT,
  deletion_digest TEXT,
  UNIQUE (name, version)
);
CREATE INDEX dataset_versions_agreement ON dataset_versions (agreement_id, built_at);
CREATE INDEX dataset_versions_state ON dataset_versions (state, agreement_id);
CREATE TRIGGER dataset_versions_forward BEFORE UPDATE ON dataset_versions
  WHEN NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.version IS NOT OLD.version
    OR NEW.agreement_id IS NOT OLD.agreement_id OR NEW.consumer IS NOT OLD.consumer OR NEW.dir IS NOT OLD.dir
    OR NEW.merkle_root IS NOT OLD.merkle_root OR NEW.records IS NOT OLD.records
    OR NEW.learners IS NOT OLD.learners OR NEW.purpose IS NOT OLD.purpose OR NEW.files IS NOT OLD.files
    OR NEW.summary IS NOT OLD.summary OR NEW.spec_digest IS NOT OLD.spec_digest
    OR NEW.built_at IS NOT OLD.built_at OR NEW.built_by IS NOT OLD.built_by
    OR NEW.recorded_at IS NOT OLD.recorded_at
    OR (OLD.superseded_at IS NOT NULL AND (NEW.superseded_at IS NOT OLD.superseded_at
      OR NEW.superseded_reason IS NOT OLD.superseded_reason))
    OR (OLD.deleted_at IS NOT NULL AND (NEW.deleted_at IS NOT OLD.deleted_at
      OR NEW.deletion_digest IS NOT OLD.deletion_digest))
    OR OLD.state = 'deleted' OR (OLD.state = 'superseded' AND NEW.state = 'current')
    OR (NEW.state = 'superseded' AND NEW.superseded_at IS NULL)
    OR (NEW.state = 'deleted' AND (NEW.deleted_at IS NULL OR NEW.deletion_digest IS NULL))
  BEGIN SELECT RAISE(ABORT, 'a dataset version is fixed; its state only moves forward, once each'); END;
CREATE TRIGGER dataset_versions_no_delete BEFORE DELETE ON dataset_versions
  BEGIN SELECT RAISE(ABORT, 'a dataset version is never deleted: its deletion is a state with evidence'); END;
-- The learners (pseudonyms) in a version: what a withdrawal is matched against. Never changed.
CREATE TABLE dataset_version_members (
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  learner TEXT NOT NULL,
  PRIMARY KEY (version_id, learner)
);
CREATE INDEX dataset_version_members_learner ON dataset_version_members (learner);
CREATE TRIGGER dataset_version_members_no_update BEFORE UPDATE ON dataset_version_members
  BEGIN SELECT RAISE(ABORT, 'the members of a dataset version are never changed'); END;
CREATE TRIGGER dataset_version_members_no_delete BEFORE DELETE ON dataset_version_members
  BEGIN SELECT RAISE(ABORT, 'the members of a dataset version are never changed'); END;
-- A version's history (append-only): recorded, downloaded, superseded, deleted (with its evidence).
CREATE TABLE dataset_version_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  kind TEXT NOT NULL CHECK (kind IN ('recorded', 'downloaded', 'superseded', 'deleted')),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX dataset_version_events_of ON dataset_version_events (version_id, seq);
CREATE TRIGGER dataset_version_events_no_update BEFORE UPDATE ON dataset_version_events
  BEGIN SELECT RAISE(ABORT, 'a dataset version''s history is append-only'); END;
CREATE TRIGGER dataset_version_events_no_delete BEFORE DELETE ON dataset_version_events
  BEGIN SELECT RAISE(ABORT, 'a dataset version''s history is append-only'); END;
-- The outbox of notifications to a version's holders (its consumer, whoever downloaded it), delivered
-- by the consent webhooks' signed POST until acknowledged; one per version, holder and event.
CREATE TABLE dataset_notifications (
  id TEXT PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  agreement_id TEXT NOT NULL,
  holder TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged')),
  attempts INTEGER NOT NULL,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  UNIQUE (version_id, holder, event)
);
CREATE INDEX dataset_notifications_due ON dataset_notifications (state, next_attempt_at);
CREATE INDEX dataset_notifications_holder ON dataset_notifications (holder, created_at);
`,
      postgres: `
-- A dataset version the pool built under an agreement: where it lives, what it holds (the lineage's
-- Merkle root, every file with its SHA-256 at recording), and its state. What made it never changes;
-- the state only moves forward, once each: current → superseded (a member withdrew or expired after
-- the build) → deleted (the agreement ended), or current → deleted.
CREATE TABLE dataset_versions (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  dir TEXT NOT NULL,
  merkle_root TEXT NOT NULL,
  records BIGINT NOT NULL,
  learners INTEGER NOT NULL,
  purpose TEXT,
  files TEXT NOT NULL,
  summary TEXT NOT NULL,
  spec_digest TEXT,
  built_at TEXT NOT NULL,
  built_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('current', 'superseded', 'deleted')),
  superseded_at TEXT,
  superseded_reason TEXT,
  deleted_at TEXT,
  deletion_digest TEXT,
  UNIQUE (name, version)
);
CREATE INDEX dataset_versions_agreement ON dataset_versions (agreement_id, built_at);
CREATE INDEX dataset_versions_state ON dataset_versions (state, agreement_id);
CREATE FUNCTION dataset_versions_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'a dataset version is never deleted: its deletion is a state with evidence';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name
    OR NEW.version IS DISTINCT FROM OLD.version OR NEW.agreement_id IS DISTINCT FROM OLD.agreement_id
    OR NEW.consumer IS DISTINCT FROM OLD.consumer OR NEW.dir IS DISTINCT FROM OLD.dir
    OR NEW.merkle_root IS DISTINCT FROM OLD.merkle_root OR NEW.records IS DISTINCT FROM OLD.records
    OR NEW.learners IS DISTINCT FROM OLD.learners OR NEW.purpose IS DISTINCT FROM OLD.purpose
    OR NEW.files IS DISTINCT FROM OLD.files OR NEW.summary IS DISTINCT FROM OLD.summary
    OR NEW.spec_digest IS DISTINCT FROM OLD.spec_digest OR NEW.built_at IS DISTINCT FROM OLD.built_at
    OR NEW.built_by IS DISTINCT FROM OLD.built_by OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at
    OR (OLD.superseded_at IS NOT NULL AND (NEW.superseded_at IS DISTINCT FROM OLD.superseded_at
      OR NEW.superseded_reason IS DISTINCT FROM OLD.superseded_reason))
    OR (OLD.deleted_at IS NOT NULL AND (NEW.deleted_at IS DISTINCT FROM OLD.deleted_at
      OR NEW.deletion_digest IS DISTINCT FROM OLD.deletion_digest))
    OR OLD.state = 'deleted' OR (OLD.state = 'superseded' AND NEW.state = 'current')
    OR (NEW.state = 'superseded' AND NEW.superseded_at IS NULL)
    OR (NEW.state = 'deleted' AND (NEW.deleted_at IS NULL OR NEW.deletion_digest IS NULL)) THEN
    RAISE EXCEPTION 'a dataset version is fixed; its state only moves forward, once each';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER dataset_versions_forward BEFORE UPDATE OR DELETE ON dataset_versions
  FOR EACH ROW EXECUTE FUNCTION dataset_versions_forward();
-- The learners (pseudonyms) in a version: what a withdrawal is matched against. Never changed.
CREATE TABLE dataset_version_members (
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  learner TEXT NOT NULL,
  PRIMARY KEY (version_id, learner)
);
CREATE INDEX dataset_version_members_learner ON dataset_version_members (learner);
CREATE FUNCTION dataset_version_members_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the members of a dataset version are never changed'; END $$;
CREATE TRIGGER dataset_version_members_fixed BEFORE UPDATE OR DELETE ON dataset_version_members
  FOR EACH ROW EXECUTE FUNCTION dataset_version_members_fixed();
-- A version's history (append-only): recorded, downloaded, superseded, deleted (with its evidence).
CREATE TABLE dataset_version_events (
  seq BIGSERIAL PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  kind TEXT NOT NULL CHECK (kind IN ('recorded', 'downloaded', 'superseded', 'deleted')),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX dataset_version_events_of ON dataset_version_events (version_id, seq);
CREATE FUNCTION dataset_version_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a dataset version''s history is append-only'; END $$;
CREATE TRIGGER dataset_version_events_append_only BEFORE UPDATE OR DELETE ON dataset_version_events
  FOR EACH ROW EXECUTE FUNCTION dataset_version_events_append_only();
-- The outbox of notifications to a version's holders (its consumer, whoever downloaded it), delivered
-- by the consent webhooks' signed POST until acknowledged; one per version, holder and event.
CREATE TABLE dataset_notifications (
  id TEXT PRIMARY KEY,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  agreement_id TEXT NOT NULL,
  holder TEXT NOT NULL,
  event TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged')),
  attempts INTEGER NOT NULL,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  UNIQUE (version_id, holder, event)
);
CREATE INDEX dataset_notifications_due ON dataset_notifications (state, next_attempt_at);
CREATE INDEX dataset_notifications_holder ON dataset_notifications (holder, created_at);
`,
    },
  },
  {
    version: 14,
    name: "training jobs (train registry)",
    sql: {
      sqlite: `
-- A training job a consumer submitted on a dataset version: its spec, the admission decision's
-- purpose, where it stands (queued → running → succeeded | failed, or refused at admission), its
-- progress, the artefacts it wrote (paths, SHA-256, each released or withheld) and the release outcome.
CREATE TABLE training_jobs (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  consumer TEXT NOT NULL,
  submitted_by TEXT NOT NULL,
  spec TEXT NOT NULL,
  spec_digest TEXT NOT NULL,
  purpose TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'refused')),
  reason TEXT,
  stage TEXT,
  fraction REAL NOT NULL DEFAULT 0,
  dir TEXT,
  result TEXT,
  artefacts TEXT,
  release TEXT,
  submitted_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX training_jobs_consumer ON training_jobs (consumer, submitted_at);
CREATE INDEX training_jobs_version ON training_jobs (version_id);
CREATE INDEX training_jobs_state ON training_jobs (state, submitted_at);
-- A finished or refused job is fixed.
CREATE TRIGGER training_jobs_final BEFORE UPDATE ON training_jobs
  WHEN OLD.state IN ('succeeded', 'failed', 'refused')
  BEGIN SELECT RAISE(ABORT, 'a finished training job is fixed'); END;
CREATE TRIGGER training_jobs_no_delete BEFORE DELETE ON training_jobs
  BEGIN SELECT RAISE(ABORT, 'a training job is never deleted'); END;
-- A job's history (append-only): submitted, admitted or refused, started, progress, succeeded or
-- failed, released or withheld, and withdrawals after training.
CREATE TABLE training_job_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES training_jobs(id),
  kind TEXT NOT NULL CHECK (kind IN ('submitted', 'admitted', 'refused', 'started', 'progress', 'succeeded', 'failed', 'released', 'withheld', 'withdrawal-after-training')),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX training_job_events_of ON training_job_events (job_id, seq);
CREATE TRIGGER training_job_events_no_update BEFORE UPDATE ON training_job_events
  BEGIN SELECT RAISE(ABORT, 'a training job''s history is append-only'); END;
CREATE TRIGGER training_job_events_no_delete BEFORE DELETE ON training_job_events
  BEGIN SELECT RAISE(ABORT, 'a training job''s history is append-only'); END;
-- The consent withdrawals recorded against a job's model (its version held the learner): once each.
CREATE TABLE training_job_withdrawals (
  job_id TEXT NOT NULL REFERENCES training_jobs(id),
  withdrawal_id TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (job_id, withdrawal_id)
);
CREATE TRIGGER training_job_withdrawals_no_update BEFORE UPDATE ON training_job_withdrawals
  BEGIN SELECT RAISE(ABORT, 'a recorded withdrawal is never changed'); END;
CREATE TRIGGER training_job_withdrawals_no_delete BEFORE DELETE ON training_job_withdrawals
  BEGIN SELECT RAISE(ABORT, 'a recorded withdrawal is never changed'); END;
`,
      postgres: `
-- A training job a consumer submitted on a dataset version: its spec, the admission decision's
-- purpose, where it stands (queued → running → succeeded | failed, or refused at admission), its
-- progress, the artefacts it wrote (paths, SHA-256, each released or withheld) and the release outcome.
CREATE TABLE training_jobs (
  id TEXT PRIMARY KEY,
  agreement_id TEXT NOT NULL,
  version_id TEXT NOT NULL REFERENCES dataset_versions(id),
  consumer TEXT NOT NULL,
  submitted_by TEXT NOT NULL,
  spec TEXT NOT NULL,
  spec_digest TEXT NOT NULL,
  purpose TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'refused')),
  reason TEXT,
  stage TEXT,
  fraction DOUBLE PRECISION NOT NULL DEFAULT 0,
  dir TEXT,
  result TEXT,
  artefacts TEXT,
  release TEXT,
  submitted_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX training_jobs_consumer ON training_jobs (consumer, submitted_at);
CREATE INDEX training_jobs_version ON training_jobs (version_id);
CREATE INDEX training_jobs_state ON training_jobs (state, submitted_at);
-- A finished or refused job is fixed.
CREATE FUNCTION training_jobs_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'a training job is never deleted'; END IF;
  IF OLD.state IN ('succeeded', 'failed', 'refused') THEN
    RAISE EXCEPTION 'a finished training job is fixed';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER training_jobs_final BEFORE UPDATE OR DELETE ON training_jobs
  FOR EACH ROW EXECUTE FUNCTION training_jobs_final();
-- A job's history (append-only): submitted, admitted or refused, started, progress, succeeded or
-- failed, released or withheld, and withdrawals after training.
CREATE TABLE training_job_events (
  seq BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES training_jobs(id),
  kind TEXT NOT NULL CHECK (kind IN ('submitted', 'admitted', 'refused', 'started', 'progress', 'succeeded', 'failed', 'released', 'withheld', 'withdrawal-after-training')),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX training_job_events_of ON training_job_events (job_id, seq);
CREATE FUNCTION training_job_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a training job''s history is append-only'; END $$;
CREATE TRIGGER training_job_events_append_only BEFORE UPDATE OR DELETE ON training_job_events
  FOR EACH ROW EXECUTE FUNCTION training_job_events_append_only();
-- The consent withdrawals recorded against a job's model (its version held the learner): once each.
CREATE TABLE training_job_withdrawals (
  job_id TEXT NOT NULL REFERENCES training_jobs(id),
  withdrawal_id TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (job_id, withdrawal_id)
);
CREATE FUNCTION training_job_withdrawals_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a recorded withdrawal is never changed'; END $$;
CREATE TRIGGER training_job_withdrawals_fixed BEFORE UPDATE OR DELETE ON training_job_withdrawals
  FOR EACH ROW EXECUTE FUNCTION training_job_withdrawals_fixed();
`,
    },
  },
];

/** Applies every migration not yet applied, each in its own transaction. Returns the versions applied. */
export async function migrate(db: Database): Promise<number[]> {
  await db.run(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(
      async (tx) => {
        const row = await tx.one("SELECT version FROM schema_migrations WHERE version = ?", [
          migration.version,
        ]);
        if (row) return false;
        await tx.exec(migration.sql[db.dialect]);
        await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
        return true;
      },
      { lock: "learnpool:migrations" },
    );
    if (done) applied.push(migration.version);
  }
  return applied;
}
