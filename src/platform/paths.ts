import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The project root, found from this file whether it runs from src/ under tsx or from dist/src/.
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('Cannot find the Lantern project folder')
    dir = parent
  }
  return dir
}

export const ROOT = findRoot()
export const SRC = join(ROOT, 'src')
export const PUBLIC_ASSETS = join(ROOT, 'dist', 'public')
