-- 0003_mirror_outbox: the mirror outbox of blue/green dual writes (design §7). Runs unchanged on
-- Postgres >= 15 and PGlite, inside one transaction like every migration. Additive: code older
-- than this migration never reads the table.
--
-- A row says "the state of (tool, id) must still reach side `target`". It is written in the primary
-- store before each dual-written write and removed once the mirror write landed; a repair worker
-- claims due rows (leasing them by moving next_attempt_at), reads the current state of (tool, id)
-- and applies it to the target. Rows carry no entry, so a replay never sends stale data.
--
-- `id` is text, not uuid: the row is written before the write it guards has validated its id, and
-- must not make that write fail differently. `key` is set for writes by key, whose id is only
-- known once the write has run. Times come from the store clock, never now().

CREATE TABLE mirror_outbox (
  seq             bigserial   PRIMARY KEY,
  target          text        NOT NULL,
  tool            text        NOT NULL,
  id              text        NOT NULL,
  key             text,
  attempts        int         NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  last_error      text
);

-- The claim: due rows of one target, lowest seq first. No other index: rows are short-lived, so
-- the table stays small and outboxStats' count(*) / min(created_at) scan it cheaply, while every
-- dual write pays for each index it updates.
CREATE INDEX mirror_outbox_claim_idx ON mirror_outbox (target, next_attempt_at, seq);
