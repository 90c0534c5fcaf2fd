-- 0002_content_codec: compressed content in the cold store (design §8). Runs unchanged on
-- Postgres >= 15 and PGlite (Postgres 18), inside one transaction like every migration.
--
-- A row keeps its content either plain in `content` (content_codec and content_blob NULL: every row
-- written before this migration, and contents below the store's threshold or not worth
-- compressing) or compressed in `content_blob` with its `content_codec` ('br' or 'gzip'; content
-- NULL). Existing rows are untouched and stay valid.
--
-- Search must keep working on compressed rows, so the indexes are built from the plain text, which
-- every write of the store sends along with the bytes:
-- - `search_vector` stops being generated from `content` (it would be NULL for compressed rows):
--   DROP EXPRESSION turns it into an ordinary column and keeps every existing value; the store's
--   writes set it to to_tsvector('english', left(<plain text>, 100000)). Full-text search therefore
--   covers compressed and plain rows alike (their first 100 000 characters).
-- - `content_head` holds the first 4 096 characters of a compressed row's text (NULL for plain rows)
--   and the trigram index moves to coalesce(content, content_head). LIMIT: substring search covers
--   plain rows whole but compressed rows only within their first 4 096 characters.
--
-- Writers that do not set search_vector — replicas still running code older than this migration
-- during a rollout, raw SQL loaders — get it filled from `content` by a trigger, so their rows stay
-- searchable. Such code cannot read compressed rows: enable compression only after the rollout.
--
-- On a large table this takes a while under an exclusive lock (one pass to check the constraints,
-- one to build the trigram index: about a minute at 1M rows on a small machine).

ALTER TABLE memories
  ALTER COLUMN content DROP NOT NULL,
  ALTER COLUMN search_vector DROP EXPRESSION,
  ADD COLUMN content_codec text,
  ADD COLUMN content_blob  bytea,
  ADD COLUMN content_head  text,
  -- Exactly one of content / content_blob; a codec exactly with a blob; a head only with a blob.
  ADD CONSTRAINT memories_content_storage_check CHECK (
    (content IS NULL) <> (content_blob IS NULL)
    AND (content_codec IS NULL) = (content_blob IS NULL)
    AND (content_head IS NULL OR content_blob IS NOT NULL)),
  ADD CONSTRAINT memories_content_codec_check CHECK (content_codec IN ('br', 'gzip'));

-- Substring search (ILIKE '%...%' and word_similarity) on the plain text: the whole content of a
-- plain row, the first 4 096 characters of a compressed one.
DROP INDEX memories_content_trgm_idx;
CREATE INDEX memories_text_trgm_idx ON memories USING gin ((coalesce(content, content_head)) gin_trgm_ops);

-- Fills search_vector from the plain content for a writer that left it unset (see the header).
CREATE FUNCTION memories_fill_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector('english'::regconfig, left(NEW.content, 100000));
  RETURN NEW;
END
$$;

-- An insert of a plain row without a search_vector (the store always sets one).
CREATE TRIGGER memories_search_vector_on_insert BEFORE INSERT ON memories FOR EACH ROW
  WHEN (NEW.search_vector IS NULL AND NEW.content IS NOT NULL)
  EXECUTE FUNCTION memories_fill_search_vector();

-- An update that changed the plain content but not the search_vector (the store changes both).
CREATE TRIGGER memories_search_vector_on_update BEFORE UPDATE OF content ON memories FOR EACH ROW
  WHEN (NEW.content IS NOT NULL AND NEW.content IS DISTINCT FROM OLD.content
    AND NEW.search_vector IS NOT DISTINCT FROM OLD.search_vector)
  EXECUTE FUNCTION memories_fill_search_vector();
