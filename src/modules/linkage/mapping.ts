import { readFileSync } from 'node:fs'
import { z } from 'zod'

export const DATE_FORMATS = ['ISO', 'DD/MM/YYYY', 'YYYYMMDD'] as const
export type DateFormat = (typeof DATE_FORMATS)[number]

export const BLOCKING_KEYS = ['forename', 'surname', 'dateOfBirth', 'sex', 'postcode', 'postcodeSector', 'postcodeDistrict',
  'nhsNumber', 'upn', 'forenameInitial', 'surnameInitial', 'forenameSoundex', 'surnameSoundex', 'birthYear', 'birthMonthDay', 'birthYearMonth',
  'birthDateAnyOrder', 'address'] as const
export type BlockingKey = (typeof BLOCKING_KEYS)[number]

const columns = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((c) => (typeof c === 'string' ? [c] : c))

const fields = z.object({
  forename: columns.optional(),
  surname: columns.optional(),
  dateOfBirth: columns.optional(),
  sex: columns.optional(),
  postcode: columns.optional(),
  address: columns.optional(),
  nhsNumber: columns.optional(),
  upn: columns.optional(),
}).strict()
export type FieldName = keyof z.infer<typeof fields>

const blockingRule = z.array(z.enum(BLOCKING_KEYS)).min(1)

const mappingSchema = z.object({
  id: z.string().min(1, 'Give the id column'),
  dateFormat: z.enum(DATE_FORMATS).default('ISO'),
  fields,
  extra: z.array(z.object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'Extra comparison names are lower case letters, digits and _'),
    columns,
    compare: z.enum(['exact', 'fuzzy']),
  }).strict()).default([]),
  right: z.object({
    id: z.string().min(1).optional(),
    dateFormat: z.enum(DATE_FORMATS).optional(),
    // null says the right file lacks a field that the left file has.
    fields: z.object(Object.fromEntries(Object.keys(fields.shape).map((k) => [k, columns.nullable().optional()])) as
      Record<FieldName, z.ZodOptional<z.ZodNullable<typeof columns>>>).strict().optional(),
    extra: z.record(z.string(), columns).optional(),
  }).strict().optional(),
  blocking: z.array(blockingRule).min(1).optional(),
  training: z.array(blockingRule).min(1).optional(),
  threshold: z.number().gt(0).lt(1).default(0.9),
  // Each file holds at most one record per person (a roll against a GP list): a record links to its best match only.
  oneToOne: z.boolean().default(false),
}).strict()

export type Mapping = z.infer<typeof mappingSchema>

/** The columns to read from one file: the right file of a link may name its columns differently. */
export type FileMapping = {
  id: string
  dateFormat: DateFormat
  fields: Partial<Record<FieldName, string[]>>
  extra: { name: string; columns: string[]; compare: 'exact' | 'fuzzy' }[]
}

export class MappingError extends Error {
  override name = 'MappingError'
}

export function parseMapping(json: unknown): Mapping {
  const result = mappingSchema.safeParse(json)
  if (result.success) return result.data
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`)
  throw new MappingError(`The mapping file is not valid:\n${lines.join('\n')}`)
}

export function loadMapping(path: string): Mapping {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new MappingError(`Cannot read the mapping file ${path}: ${(err as Error).message}`)
  }
  return parseMapping(json)
}

export function fileMapping(mapping: Mapping, side: 'left' | 'right'): FileMapping {
  const base: FileMapping = { id: mapping.id, dateFormat: mapping.dateFormat, fields: mapping.fields, extra: mapping.extra }
  const r = mapping.right
  if (side === 'left' || !r) return base
  return {
    id: r.id ?? base.id,
    dateFormat: r.dateFormat ?? base.dateFormat,
    fields: Object.fromEntries(Object.entries({ ...base.fields, ...r.fields }).filter(([, v]) => v)) as FileMapping['fields'],
    extra: base.extra.map((e) => ({ ...e, columns: r.extra?.[e.name] ?? e.columns })),
  }
}

/** Every column a file must have, so that a wrong mapping fails before any work is done. */
export function requiredColumns(m: FileMapping): string[] {
  return [m.id, ...Object.values(m.fields).flat(), ...m.extra.flatMap((e) => e.columns)]
}
