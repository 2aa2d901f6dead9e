import { z } from 'zod'
import { checkedText, isRealDate, optionalText, text, versionField } from '../../platform/forms.ts'
import { normalisePostcode, normaliseUpn, postcodeProblem, upnProblem } from '../children/identifiers.ts'
import { GROUNDS, GROUND_INFO, GROUND_I_CODES, GROUND_I_MIN_SCHOOL_DAYS, type Ground } from './grounds.ts'
import { longDate } from '../calendar/days.ts'

// One schema per notice, used by the school's form and by every row of a bulk import, so a file is
// held to exactly the rules a person typing the notice is held to.

/** A date field that has been through withDates (or arrived as YYYY-MM-DD in an import): '', 'invalid' or a real date. */
const date = (invalid: string) => z.string().optional()
  .refine((v) => v !== 'invalid', { error: invalid })
  .refine((v) => !v || (/^\d{4}-\d{2}-\d{2}$/.test(v) && isRealDate(v)), { error: invalid })
  .transform((v) => (v ? v : undefined))

const phoneProblem = (v: string) => (/^\+?[0-9 ()-]{10,20}$/.test(v) && v.replace(/\D/g, '').length >= 10 ? undefined : 'Enter a phone number, like 01632 960 001 or 07700 900 982')
const phone = z.string().trim().max(30, { error: 'Enter a phone number, like 01632 960 001 or 07700 900 982' }).optional()
  .transform((v) => (v ? v : undefined))
  .superRefine((v, ctx) => {
    const problem = v ? phoneProblem(v) : undefined
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

const child = (today: string) => ({
  forename: text('Enter the pupil’s first name', 100),
  surname: text('Enter the pupil’s last name', 100),
  dateOfBirth: date('Date of birth must be a real date, like 27 3 2012').refine((v) => !!v, { error: 'Enter the pupil’s date of birth' })
    .refine((v) => !v || v < today, { error: 'Date of birth must be in the past' }),
  sex: z.enum(['female', 'male', 'unknown'], { error: 'Select the pupil’s sex' }),
  upn: checkedText(upnProblem, normaliseUpn),
  addressLine1: text('Enter the first line of the pupil’s address', 200),
  town: optionalText(100),
  postcode: checkedText(postcodeProblem, normalisePostcode),
  parent1Name: text('Enter the name of a parent the pupil lives with', 200),
  parent1Address: optionalText(400),
  parent1Phone: phone.refine((v) => !!v, { error: 'Enter an emergency phone number for the parent' }),
  parent2Name: optionalText(200),
  parent2Address: optionalText(400),
  parent2Phone: phone,
})

const parentsCheck = (v: { parent2Name?: string; parent2Phone?: string }, ctx: z.RefinementCtx) => {
  if (v.parent2Name && !v.parent2Phone) ctx.addIssue({ code: 'custom', path: ['parent2Phone'], message: 'Enter an emergency phone number for the second parent' })
  if (!v.parent2Name && v.parent2Phone) ctx.addIssue({ code: 'custom', path: ['parent2Name'], message: 'Enter the second parent’s name, or remove their phone number' })
}

export type NoticeRules = {
  /** The day the notice is made: deletions cannot be dated before it. */
  today: string
  /** School days from `from` to `to` inclusive in the LA's calendar, for ground (i). */
  schoolDays: (from: string, to: string) => number
}

/** A removal from roll notice: reg 13(4) content and the reg 9(1) ground, with the rules on (h) and (i). */
export const removalNoticeSchema = (rules: NoticeRules) =>
  z.object({
    ...child(rules.today),
    ground: z.enum(GROUNDS, { error: 'Select the ground for removing the pupil from the roll' }),
    deletionDate: date('Date of deletion must be a real date, like 4 12 2026').refine((v) => !!v, { error: 'Enter the date the pupil’s name will be deleted' })
      .refine((v) => !v || v >= rules.today, { error: 'The date of deletion cannot be in the past: a school must tell the LA no later than the day it deletes the name' }),
    futureAddress: optionalText(400),
    futureSchool: optionalText(200),
    futureSchoolStart: date('Start date at the new school must be a real date'),
    lostPupil: z.enum(['destination_unknown', 'moved_abroad'], { error: 'Select a valid option' }).optional().or(z.literal('').transform(() => undefined)),
    jointEnquiriesOn: date('The date of the joint enquiries must be a real date'),
    jointEnquiriesLaContact: optionalText(200),
    jointEnquiriesSummary: optionalText(4000, 'Keep the summary of enquiries to 4000 characters or fewer'),
    absenceFrom: date('The first day of absence must be a real date'),
    absenceTo: date('The last day of absence must be a real date'),
    attendanceCodes: z.string().optional().transform((v) => (v ? v.replace(/[\s,]/g, '').toUpperCase() : undefined)),
    notes: optionalText(4000, 'Keep the notes to 4000 characters or fewer'),
  }).superRefine((v, ctx) => {
    parentsCheck(v, ctx)
    const info = GROUND_INFO[v.ground as Ground]
    if (!info) return
    if (info.destination === 'required' && !v.futureSchool) {
      ctx.addIssue({ code: 'custom', path: ['futureSchool'], message: `Enter the school the pupil is going to: ground (${v.ground}) needs it` })
    }
    if (v.futureSchoolStart && v.deletionDate && v.futureSchoolStart < '1900-01-01') ctx.addIssue({ code: 'custom', path: ['futureSchoolStart'], message: 'Start date at the new school must be a real date' })
    if (info.jointEnquiries) {
      if (!v.jointEnquiriesOn) ctx.addIssue({ code: 'custom', path: ['jointEnquiriesOn'], message: `Ground (${v.ground}) needs the school and the LA to have made reasonable enquiries together first: enter the date they were made` })
      else if (v.jointEnquiriesOn > rules.today) ctx.addIssue({ code: 'custom', path: ['jointEnquiriesOn'], message: 'The joint enquiries must already have been made: enter a date today or in the past' })
      if (!v.jointEnquiriesLaContact) ctx.addIssue({ code: 'custom', path: ['jointEnquiriesLaContact'], message: 'Enter the name of the LA officer who made the enquiries with the school' })
      if (!v.jointEnquiriesSummary) ctx.addIssue({ code: 'custom', path: ['jointEnquiriesSummary'], message: 'Enter what the joint enquiries were and what they found' })
    }
    if (v.ground === 'i') groundIEvidence(v, rules, ctx)
  })

function groundIEvidence(v: { absenceFrom?: string; absenceTo?: string; attendanceCodes?: string }, rules: NoticeRules, ctx: z.RefinementCtx) {
  if (!v.absenceFrom) ctx.addIssue({ code: 'custom', path: ['absenceFrom'], message: 'Ground (i) needs the first day of the continuous absence' })
  if (!v.absenceTo) ctx.addIssue({ code: 'custom', path: ['absenceTo'], message: 'Ground (i) needs the last day of the continuous absence' })
  if (!v.attendanceCodes) ctx.addIssue({ code: 'custom', path: ['attendanceCodes'], message: 'Ground (i) needs the attendance codes for every school day of the absence' })
  if (!v.absenceFrom || !v.absenceTo) return
  if (v.absenceTo < v.absenceFrom) return void ctx.addIssue({ code: 'custom', path: ['absenceTo'], message: 'The last day of absence must be on or after the first day' })
  if (v.absenceTo > rules.today) return void ctx.addIssue({ code: 'custom', path: ['absenceTo'], message: 'The last day of absence must be today or in the past' })
  const days = rules.schoolDays(v.absenceFrom, v.absenceTo)
  if (days < GROUND_I_MIN_SCHOOL_DAYS) {
    return void ctx.addIssue({ code: 'custom', path: ['absenceFrom'],
      message: `Ground (i) needs at least ${GROUND_I_MIN_SCHOOL_DAYS} continuous school days of absence: ${longDate(v.absenceFrom)} to ${longDate(v.absenceTo)} is ${days} school day${days === 1 ? '' : 's'} in the LA’s school calendar` })
  }
  if (!v.attendanceCodes) return
  if (!GROUND_I_CODES.test(v.attendanceCodes)) {
    return void ctx.addIssue({ code: 'custom', path: ['attendanceCodes'], message: 'Ground (i) cannot be used if any code other than G, N or O was recorded in the period' })
  }
  // One code a school day, or one a session (morning and afternoon), for every school day counted.
  if (v.attendanceCodes.length !== days && v.attendanceCodes.length !== days * 2) {
    ctx.addIssue({ code: 'custom', path: ['attendanceCodes'],
      message: `Enter one code for each of the ${days} school days (or each of the ${days * 2} sessions) in the period: you entered ${v.attendanceCodes.length}` })
  }
}

export type RemovalNoticeInput = z.infer<ReturnType<typeof removalNoticeSchema>>

/** A new pupil notice (reg 13(1)): who was admitted and their starting day. */
export const newPupilNoticeSchema = (rules: Pick<NoticeRules, 'today'>) =>
  z.object({
    ...child(rules.today),
    startDate: date('The starting day must be a real date, like 5 1 2027').refine((v) => !!v, { error: 'Enter the pupil’s first day at the school' }),
    notes: optionalText(4000, 'Keep the notes to 4000 characters or fewer'),
  }).superRefine(parentsCheck)

export type NewPupilNoticeInput = z.infer<ReturnType<typeof newPupilNoticeSchema>>


/** The officer's decision on a notice: which child it is, and what happens next. */
export const processNoticeForm = z.object({
  child: z.string({ error: 'Select the child this notice is about, or that it is a new child' }).min(1, { error: 'Select the child this notice is about, or that it is a new child' }),
  action: z.enum(['open_case', 'add_to_case', 'record', 'close_case'], { error: 'Select what to do with the notice' }),
  registerType: z.enum(['cme', 'ehe', 'other_arrangements']).optional().or(z.literal('').transform(() => undefined)),
  destinationConfirmed: z.string().optional(),
  outcome: optionalText(2000, 'Keep the outcome to 2000 characters or fewer'),
  version: versionField,
}).superRefine((v, ctx) => {
  if (v.action === 'record' && !v.outcome) ctx.addIssue({ code: 'custom', path: ['outcome'], message: 'Enter why no case is needed, such as the confirmed new school' })
})

export type ProcessNoticeInput = z.infer<typeof processNoticeForm>
