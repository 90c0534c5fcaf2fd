/**
 * The MemoryStore conformance suite over TrafficSplitStore on two real Postgres databases: the
 * stages where green is the primary (live, complete); see traffic-split-postgres-early.test.ts.
 */
import t from 'tap'
import { postgresUnavailable } from '../helpers/services.js'
import { POSTGRES_LATE_RUNS, splitPostgresSuite } from '../helpers/traffic.js'

splitPostgresSuite(t, 'traffic split conformance on two Postgres databases, late stages', 'split_late', POSTGRES_LATE_RUNS, (await postgresUnavailable()) ?? false)
