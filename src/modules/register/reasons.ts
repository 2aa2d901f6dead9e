// The reasons a child is missing education that the termly DfE return counts (domain brief 1.7).
// The DfE's full list and its autumn 2025 additions were not in our sources, so every LA keeps its
// own list and can change it; these are the defaults a new LA starts with, from published
// statistics ("believed to have moved out of the country", "school application awaiting outcome")
// and LA CME forms (domain brief 1.5: moved, destination unknown; did not take up an allocated place).
export const DEFAULT_CME_REASONS: { code: string; label: string }[] = [
  { code: 'moved_abroad', label: 'Believed to have moved out of the country' },
  { code: 'application_awaiting_outcome', label: 'School application awaiting outcome' },
  { code: 'moved_destination_unknown', label: 'Moved away, destination unknown' },
  { code: 'allocated_place_not_taken', label: 'Did not take up an allocated school place' },
  { code: 'new_to_area', label: 'New to the area, no school application' },
  { code: 'all_contact_failed', label: 'All contact with the family has failed' },
  { code: 'ehe_unsuitable', label: 'Home education judged unsuitable' },
  { code: 'excluded_no_provision', label: 'Permanently excluded, no alternative provision yet' },
  { code: 'other', label: 'Other reason' },
]
