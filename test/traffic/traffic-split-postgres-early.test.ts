/**
 * The MemoryStore conformance suite over TrafficSplitStore, blue and green each in its own real
 * Postgres database (a fresh schema per store, so tests stay isolated): the stages where blue is
 * still the primary (or partly). `traffic-split-postgres-late.test.ts` runs the green-primary
 * stages; two files so they run in parallel and each stays well inside the per-file timeout.
 */
import t from 'tap'
import { postgresUnavailable } from '../helpers/services.js'
import { POSTGRES_EARLY_RUNS, splitPostgresSuite } from '../helpers/traffic.js'

splitPostgresSuite(t, 'traffic split conformance on two Postgres databases, early stages', 'split', POSTGRES_EARLY_RUNS, (await postgresUnavailable()) ?? false)
