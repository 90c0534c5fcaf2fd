-- 0001_memories: the memories table, tombstones for mirrored deletes, Idempotency-Key records.
-- Runs unchanged on Postgres >= 15 and PGlite (Postgres 18). Never edit this file once released:
-- the migrator checksums it. Add a new numbered file instead. No CREATE INDEX CONCURRENTLY here
-- (every file runs inside one transaction).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per memory entry (design §3). Primary key (tool, id) and every unique index includes
-- tool, so the table can be distributed by tool (Citus) later. `tool` uses the "C" collation so
-- that (tool, id) order is byte order on every server, the same order the in-memory store uses;
-- scan() and backfill rely on it.
CREATE TABLE memories (
  tool             text COLLATE "C" NOT NULL,
  id               uuid             NOT NULL,
  type             text             NOT NULL,
  key              text,
  content          text             NOT NULL,
  content_type     text             NOT NULL,
  metadata         jsonb            NOT NULL DEFAULT '{}'::jsonb,
  tags             text[]           NOT NULL DEFAULT '{}',
  importance       double precision NOT NULL DEFAULT 0.5,
  visibility       text             NOT NULL DEFAULT 'private',
  content_hash     text             NOT NULL,
  tokens           integer          NOT NULL,
  version          integer          NOT NULL,
  created_at       timestamptz      NOT NULL,
  updated_at       timestamptz      NOT NULL,
  expires_at       timestamptz,
  last_accessed_at timestamptz,
  access_count     bigint           NOT NULL DEFAULT 0,
  -- Full-text vector over the first 100 000 characters: a tsvector is capped at 1 MiB, which a
  -- 1 MiB content of distinct words exceeds; 100 000 characters stay below it for any text.
  search_vector    tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, left(content, 100000))) STORED,
  CONSTRAINT memories_pkey PRIMARY KEY (tool, id),
  CONSTRAINT memories_visibility_check CHECK (visibility IN ('private', 'shared')),
  CONSTRAINT memories_importance_check CHECK (importance >= 0 AND importance <= 1),
  CONSTRAINT memories_version_check CHECK (version >= 1),
  CONSTRAINT memories_tokens_check CHECK (tokens >= 0),
  CONSTRAINT memories_access_count_check CHECK (access_count >= 0),
  CONSTRAINT memories_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);

-- A key is unique per tool (expired holders are deleted by the write that reuses the key).
CREATE UNIQUE INDEX memories_tool_key_key ON memories (tool, key) WHERE key IS NOT NULL;
-- Keyless entries are unique per (tool, type, content hash): the atomic dedupe arbiter.
CREATE UNIQUE INDEX memories_tool_type_hash_key ON memories (tool, type, content_hash) WHERE key IS NULL;
-- getById (cross-tool reads by id alone).
CREATE INDEX memories_id_idx ON memories (id);
-- findByHash (any type, keyed or not).
CREATE INDEX memories_tool_hash_idx ON memories (tool, content_hash);
-- Listings and search run one branch per readable source (queries-read.ts), each walking an index in
-- id order: a tool's branch (the caller's own, each granted tool) walks the primary key (tool, id)
-- backwards, or this index when the listing asks for one type (`tool = $1 AND type = $2 ORDER BY id
-- DESC`). It serves nothing without a tool condition, which every tool branch has.
CREATE INDEX memories_tool_type_id_idx ON memories (tool, type, id);
-- The branch of shared entries of other tools, newest first: few rows, so walking this partial index
-- replaces filtering `tool = $1 OR visibility = 'shared'` over the whole id index.
CREATE INDEX memories_shared_id_idx ON memories (id) WHERE visibility = 'shared';
-- purgeExpired and expiry filters.
CREATE INDEX memories_expires_at_idx ON memories (expires_at) WHERE expires_at IS NOT NULL;
-- Tag filters (tags @> ARRAY[...]).
CREATE INDEX memories_tags_idx ON memories USING gin (tags);
-- Full-text search (websearch_to_tsquery + ts_rank_cd).
CREATE INDEX memories_search_vector_idx ON memories USING gin (search_vector);
-- Substring search (ILIKE '%...%') and word_similarity scoring.
CREATE INDEX memories_content_trgm_idx ON memories USING gin (content gin_trgm_ops);

-- Deletes remembered for applyMirror: an entry of version <= the tombstone's never comes back, as
-- long as the tombstone is kept (the store's tombstone retention, 7 days by default).
CREATE TABLE memory_tombstones (
  tool       text COLLATE "C" NOT NULL,
  id         uuid             NOT NULL,
  version    integer          NOT NULL,
  deleted_at timestamptz      NOT NULL,
  CONSTRAINT memory_tombstones_pkey PRIMARY KEY (tool, id),
  CONSTRAINT memory_tombstones_version_check CHECK (version >= 1)
);

-- purgeExpired drops tombstones older than the store's tombstone retention, oldest first.
CREATE INDEX memory_tombstones_deleted_at_idx ON memory_tombstones (deleted_at);

-- Idempotency-Key claims and remembered responses. `response` is json (not jsonb) so that a replay
-- returns the body exactly as first sent (jsonb would reorder keys).
CREATE TABLE idempotency_keys (
  tool         text COLLATE "C" NOT NULL,
  key          text             NOT NULL,
  request_hash text             NOT NULL,
  state        text             NOT NULL,
  response     json,
  expires_at   timestamptz      NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (tool, key),
  CONSTRAINT idempotency_keys_state_check CHECK (state IN ('pending', 'done')),
  CONSTRAINT idempotency_keys_response_check CHECK ((state = 'done') = (response IS NOT NULL))
);

CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
