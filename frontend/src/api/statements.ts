// POST /api/v1/bank-statements (DESIGN §2.2). The answer's shapes come from the generated schema.
import { apiUpload, type UploadProgress } from './client'
import { ApiError } from './problem'
import type { components } from './schema'

type S = components['schemas']

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

export type MatchedLine = S['MatchedLine']
export type CandidateRequest = S['Candidate']
export type AmbiguousLine = S['AmbiguousLine']
export type LineProblem = S['LineProblem']
export type StatementEntry = S['Entry']
/** The answer; `format` narrowed to the layouts the server names. */
export type StatementImport = Omit<S['ImportResult'], 'format'> & { format: StatementFormat }

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
