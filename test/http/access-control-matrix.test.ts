/** The access-control matrix (test/http/helpers/access-matrix.ts) on the in-memory store. */
import t from 'tap'
import { accessMatrix } from './helpers/access-matrix.js'

accessMatrix(t, async () => ({}))
