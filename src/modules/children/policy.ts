import { WORK_CASES } from '../register/policy.ts'

/** The child's record is kept by the CME officers who work the cases; everyone else reads it on the child's page (or not at all). */
export const EDIT_CHILD = WORK_CASES
