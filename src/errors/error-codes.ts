/**
 * The error catalogue: every error a client can receive, with its HTTP status and title.
 * The code is part of the public contract: it appears in the problem `type` URI
 * (`urn:mcp-memory:problem:<code>`) and must never change meaning.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  invalid_cursor: { status: 400, title: 'Invalid pagination cursor' },
  invalid_content: { status: 422, title: 'Content does not match its content type' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed for this key' },
  not_found: { status: 404, title: 'Not found' },
  entity_not_found: { status: 404, title: 'Knowledge-graph entity not found' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  key_conflict: { status: 409, title: 'Key already in use' },
  duplicate_content: { status: 409, title: 'Another entry of this type already has this content' },
  token_budget_exceeded: { status: 409, title: 'The write would exceed the tool\'s token budget' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  version_conflict: { status: 412, title: 'Version precondition failed' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  content_too_large: { status: 413, title: 'Content too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  entry_exceeds_token_budget: { status: 422, title: 'The entry is larger than the tool\'s whole token budget' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  backend_unavailable: { status: 503, title: 'Storage backend unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export const PROBLEM_TYPE_PREFIX = 'urn:mcp-memory:problem:'
