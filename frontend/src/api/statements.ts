// POST /api/v1/bank-statements (DESIGN §2.2). The answer's shape is written out here until the
// server's OpenAPI document publishes it; then these become aliases of the generated schemas.
import { apiUpload, type UploadProgress } from './client'
import { ApiError } from './problem'

/** The layouts the server recognises, plus `mapping` when the caller named the columns. */
export type StatementFormat =
  | 'icbc'
  | 'ccb'
  | 'cmb'
  | 'boc'
  | 'abc'
  | 'bocom'
  | 'spdb'
  | 'cib'
  | 'cmbc'
  | 'pingan'
  | 'citic'
  | 'generic'
  | 'mapping'

/** Header cell names: one signed `amount`, `debit` + `credit`, or `amount` + a `direction` flag. */
export interface StatementMapping {
  date: string
  amount?: string
  debit?: string
  credit?: string
  direction?: string
  counterparty_name: string
  counterparty_account?: string
  reference?: string
}

export interface MatchedLine {
  line: number
  request_id: number
  number: string
  action: 'payout' | 'refund'
  /** Matched through the caller's choice for an ambiguous line. */
  chosen: boolean
}

export interface CandidateRequest {
  id: number
  number: string
  title: string
  payee_name: string
  amount_fen: number
  order_date: string
  paid_at?: string | null
}

export interface AmbiguousLine {
  line: number
  candidates: number[]
  candidate_requests: CandidateRequest[]
}

export interface LineProblem {
  line: number
  request_id?: number | null
  message: string
}

export interface StatementEntry {
  line: number
  date: string
  /** Signed: money out is negative. */
  amount_fen: number
  counterparty_name: string
  counterparty_account: string
  reference: string
  occurrence: number
}

export interface StatementImport {
  statement_id?: number | null
  format: StatementFormat
  /** The statement's own account (digits), when the file names it. */
  account?: string | null
  /** The group company that account belongs to. */
  company?: { id: number; name: string } | null
  lines: number
  skipped: number
  duplicates: number
  committed: boolean
  matched: MatchedLine[]
  ambiguous: AmbiguousLine[]
  unmatched: number[]
  invalid: LineProblem[]
  errors: LineProblem[]
  entries: StatementEntry[]
}

/** A line number → the request chosen for that ambiguous line (applied on commit only). */
export type LineChoices = Record<string, number>

export interface StatementOptions {
  commit: boolean
  mapping?: StatementMapping
  /** Name to save the mapping under. */
  bank?: string
  choices?: LineChoices
  onProgress?: (p: UploadProgress) => void
}

export function importStatement(file: File, opts: StatementOptions): Promise<StatementImport> {
  const form = new FormData()
  form.append('file', file, file.name)
  form.append('commit', opts.commit ? 'true' : 'false')
  if (opts.mapping) form.append('mapping', JSON.stringify(opts.mapping))
  if (opts.bank) form.append('bank', opts.bank)
  if (opts.choices && Object.keys(opts.choices).length) form.append('choices', JSON.stringify(opts.choices))
  return apiUpload<StatementImport>('/api/v1/bank-statements', form, opts.onProgress)
}

/** The header row a file that was not recognised carries (422 `unknown_format`). */
export interface UnknownFormat {
  headerRow: number
  header: string[]
}

/** The header the server found, when it refused the file as an unknown layout; null otherwise. */
export function unknownFormat(err: unknown): UnknownFormat | null {
  if (!(err instanceof ApiError) || err.status !== 422 || err.problem.code !== 'unknown_format') return null
  const raw = err.problem.extensions
  const header = Array.isArray(raw?.header) ? raw.header.map((c) => (typeof c === 'string' ? c : String(c ?? ''))) : []
  return { headerRow: typeof raw?.header_row === 'number' ? raw.header_row : 0, header }
}
