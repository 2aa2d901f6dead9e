// The enquiries every new LA starts with, from LA CME guidance (domain brief 1.5: Herefordshire,
// Gloucestershire, Hertfordshire). Each LA can change the list; cases keep the copy they opened with.
export const DEFAULT_ENQUIRIES: { code: string; label: string; required: boolean }[] = [
  { code: 'school_records', label: 'Contacted the last known school and checked its records and staff', required: true },
  { code: 'family_contacts', label: 'Tried every parent and emergency contact, at different times of day', required: true },
  { code: 'siblings_schools', label: 'Checked schools where siblings, friends or relatives are on roll', required: true },
  { code: 'home_visit', label: 'Made a home visit', required: true },
  { code: 'health', label: 'Checked health registration (GP, school nurse, health visitor)', required: true },
  { code: 'social_care', label: "Checked with children's social care", required: true },
  { code: 'other_las', label: 'Contacted other Local Authorities and their CME officers', required: true },
  { code: 'lost_pupil_database', label: 'Searched the school-to-school lost pupil database', required: true },
  { code: 'police', label: 'Checked with the police', required: false },
  { code: 'housing', label: 'Checked housing and council tax records', required: false },
  { code: 'social_media', label: 'Searched social media', required: false },
]
