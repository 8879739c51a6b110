// Runs code in a new Node process, for tests of what several processes do at once.
import { spawn } from 'node:child_process'

/**
 * Runs `script` (an ES module's source) in a new Node process and resolves with what
 * it printed, trimmed; its stderr goes to this process's.
 */
export function runModule(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', reject)
    child.on('close', () => resolve(out.trim()))
  })
}
