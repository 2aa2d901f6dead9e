export const PAGE_SIZE = 25

export function pageNumber(value: unknown): number {
  const n = Number(value)
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? n : 1
}

/** The govukPagination macro's parameters for a list, keeping the current filters in each link. */
export function pagination(path: string, query: Record<string, string | undefined>, page: number, total: number, size = PAGE_SIZE) {
  const pages = Math.max(1, Math.ceil(total / size))
  const link = (p: number) => {
    const params = new URLSearchParams(Object.entries({ ...query, page: String(p) }).filter((e): e is [string, string] => Boolean(e[1])))
    return `${path}?${params.toString()}`
  }
  const items = []
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || Math.abs(p - page) <= 2) items.push({ number: p, href: link(p), current: p === page })
    else if (items.at(-1)?.ellipsis !== true) items.push({ ellipsis: true })
  }
  return {
    pages,
    from: total === 0 ? 0 : (page - 1) * size + 1,
    to: Math.min(total, page * size),
    total,
    macro: pages > 1 ? { previous: page > 1 ? { href: link(page - 1) } : undefined, next: page < pages ? { href: link(page + 1) } : undefined, items } : undefined,
  }
}
