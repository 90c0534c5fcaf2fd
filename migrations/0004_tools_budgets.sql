-- 0004_tools_budgets: the tool registry, the cross-tool access log and the index behind budget
-- eviction by importance and context candidates (design §3, §5). Runs unchanged on Postgres >= 15
-- and PGlite, inside one transaction like every migration. Additive: older code never reads these.

-- One row per tool: its budget, over-budget policy, eviction order, default TTL and read grants.
-- `readers` is sorted without duplicates (the domain normalises it). Times come from the app clock.
CREATE TABLE memory_tools (
  tool                text        PRIMARY KEY,
  display_name        text        NOT NULL,
  max_tokens          bigint      CHECK (max_tokens IS NULL OR max_tokens >= 0),
  over_budget         text        NOT NULL CHECK (over_budget IN ('reject', 'evict')),
  eviction_order      text        NOT NULL CHECK (eviction_order IN ('lru', 'lfu', 'importance', 'oldest')),
  default_ttl_seconds int         CHECK (default_ttl_seconds IS NULL OR default_ttl_seconds > 0),
  readers             text[]      NOT NULL DEFAULT '{}',
  version             int         NOT NULL,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);

-- Who read whose entry. Bounded: each append trims the oldest rows beyond the configured count,
-- found by seq through the primary key.
CREATE TABLE memory_access_log (
  seq    bigserial   PRIMARY KEY,
  reader text        NOT NULL,
  owner  text        NOT NULL,
  id     uuid        NOT NULL,
  via    text        NOT NULL,
  at     timestamptz NOT NULL
);
CREATE INDEX memory_access_log_reader_idx ON memory_access_log (reader, seq);
CREATE INDEX memory_access_log_owner_idx ON memory_access_log (owner, seq);

-- Least important first (budget eviction) and most important first (context candidates, read
-- backwards), per tool, without sorting the tool's rows.
CREATE INDEX memories_tool_importance_idx ON memories (tool, importance, id);
-- The same order over shared entries of every tool (the shared branch of context candidates),
-- so that candidates from other tools' shared entries are not found by sorting all of them.
CREATE INDEX memories_shared_importance_idx ON memories (importance, id) WHERE visibility = 'shared';
