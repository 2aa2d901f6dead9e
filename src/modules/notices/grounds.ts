// The grounds on which a school may delete a pupil of compulsory school age from its admission
// register: SI 2024/208 regulation 9(1)(a)-(o) (domain brief 1.4). The short labels follow LA
// deletion forms; `handling` is what the CME team usually does with such a notice, which the officer
// can still change.
export const GROUNDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'] as const
export type Ground = (typeof GROUNDS)[number]

export type GroundInfo = {
  label: string
  /** (h) and (i): the school and the LA must have made reasonable enquiries together before the deletion. */
  jointEnquiries: boolean
  /** The notice names where the child is going, and is closed without a case once that is confirmed. */
  destination: 'required' | 'if_known' | 'none'
  /** Removed without a known education to go to: a case is opened at high risk. */
  highRisk: boolean
  handling: 'case' | 'ehe' | 'confirm_destination' | 'record'
}

export const GROUND_INFO: Record<Ground, GroundInfo> = {
  a: { label: 'Registered at another school', jointEnquiries: false, destination: 'required', highRisk: false, handling: 'confirm_destination' },
  b: { label: 'Completed nursery education and will not attend the school again', jointEnquiries: false, destination: 'if_known', highRisk: false, handling: 'case' },
  c: { label: 'Dual registered, and the other school agrees to the deletion', jointEnquiries: false, destination: 'required', highRisk: false, handling: 'confirm_destination' },
  d: { label: 'School attendance order amended to name another school', jointEnquiries: false, destination: 'required', highRisk: false, handling: 'confirm_destination' },
  e: { label: 'School attendance order revoked: suitable education arranged otherwise', jointEnquiries: false, destination: 'none', highRisk: false, handling: 'record' },
  f: { label: 'Parent told the school in writing the child will be educated at home', jointEnquiries: false, destination: 'none', highRisk: false, handling: 'ehe' },
  g: { label: 'No longer lives within reasonable distance of the school', jointEnquiries: false, destination: 'if_known', highRisk: true, handling: 'case' },
  h: { label: 'Did not return within 10 school days of the end of a leave of absence', jointEnquiries: true, destination: 'none', highRisk: true, handling: 'case' },
  i: { label: 'Absent for 20 or more continuous school days, coded G, N or O', jointEnquiries: true, destination: 'none', highRisk: true, handling: 'case' },
  j: { label: 'Detained under a sentence of detention', jointEnquiries: false, destination: 'none', highRisk: false, handling: 'case' },
  k: { label: 'The pupil has died', jointEnquiries: false, destination: 'none', highRisk: false, handling: 'record' },
  l: { label: 'Will be over compulsory school age and is not staying on', jointEnquiries: false, destination: 'none', highRisk: false, handling: 'record' },
  m: { label: 'Boarder whose boarding fees are unpaid', jointEnquiries: false, destination: 'if_known', highRisk: false, handling: 'case' },
  n: { label: 'Stopped being a pupil at an independent or non-maintained special school', jointEnquiries: false, destination: 'if_known', highRisk: true, handling: 'case' },
  o: { label: 'Permanently excluded', jointEnquiries: false, destination: 'none', highRisk: true, handling: 'case' },
}

export const groundLabel = (g: Ground | string): string => `(${g}) ${GROUND_INFO[g as Ground]?.label ?? 'Unknown ground'}`

/** Ground (i) counts only these attendance codes: G holiday not authorised, N reason not yet provided, O unauthorised absence. */
export const GROUND_I_CODES = /^[GNO]+$/
export const GROUND_I_MIN_SCHOOL_DAYS = 20
