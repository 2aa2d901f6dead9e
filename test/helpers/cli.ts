import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../../src/platform/paths.ts'

export type CliRun = { code: number | null; out: string; err: string }

/** Runs the real `lantern` command in a child process with only the given settings. */
export function lantern(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`lantern ${args.join(' ')} timed out: ${out}${err}`)) }, timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }) })
  })
}
