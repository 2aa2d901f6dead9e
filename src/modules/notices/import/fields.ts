// The flat shape both import parsers produce: one removal from roll notice per row, named exactly as
// the notice form's fields, so each row can go through removalNoticeSchema like a typed-in notice.

export const NOTICE_FIELDS = [
  'forename',
  'surname',
  'dateOfBirth',
  'sex',
  'upn',
  'addressLine1',
  'town',
  'postcode',
  'parent1Name',
  'parent1Address',
  'parent1Phone',
  'parent2Name',
  'parent2Address',
  'parent2Phone',
  'ground',
  'deletionDate',
  'futureAddress',
  'futureSchool',
  'futureSchoolStart',
  'lostPupil',
  'jointEnquiriesOn',
  'jointEnquiriesLaContact',
  'jointEnquiriesSummary',
  'absenceFrom',
  'absenceTo',
  'attendanceCodes',
  'notes',
] as const

export type NoticeField = (typeof NOTICE_FIELDS)[number]

export const LOST_PUPIL = ['destination_unknown', 'moved_abroad'] as const
export type LostPupil = (typeof LOST_PUPIL)[number]

export type NoticeRow = {
  /** The CSV line the row starts on (the header is line 1), or the pupil's 1-based position in a CTF. */
  line: number
  /** "Row 4" or "Pupil 2 (UPN …)": never the child's name, since error reports are shown and logged. */
  label: string
  values: Partial<Record<NoticeField, string>>
}

export type CtfHeader = {
  version: string
  sourceLea?: string
  sourceEstab?: string
  sourceUrn?: string
  schoolName?: string
  destLea?: string
  destEstab?: string
  lostPupil?: LostPupil
}

/** File-level problems only: each row's own values are checked by the caller's notice schema. */
export type ParseResult = { ok: true; rows: NoticeRow[]; header?: CtfHeader } | { ok: false; errors: string[] }
