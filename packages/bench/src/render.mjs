#!/usr/bin/env node
// Re-draws the Markdown table and the SVG chart from a JSON report, without running
// anything: node src/render.mjs [results/latest.json]  (writes .md and .svg beside it).

import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toMarkdown } from './report/markdown.mjs'
import { toSvg } from './report/svg.mjs'

const path = resolve(
  process.argv.slice(2).find((a) => a !== '--') ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'latest.json'),
)
const report = JSON.parse(readFileSync(path, 'utf8'))
const base = path.replace(/\.json$/, '')
writeFileSync(`${base}.md`, toMarkdown(report))
writeFileSync(`${base}.svg`, toSvg(report))
process.stderr.write(`wrote ${base}.md and ${base}.svg\n`)
