// A hand-written SVG chart: one panel per figure, one horizontal bar per store, on a
// log scale of the ratio to better-sqlite3 (same durability mode, same round). Bars
// grow from the 1× line: left of it is better than better-sqlite3, right is worse.

import { formatBytes, formatCount, formatMs, formatRatio } from '../format.mjs'
import { harnessRss } from './model.mjs'

const COLORS = {
  'dbdb-bplus': '#2b6cb0',
  'dbdb-binary': '#805ad5',
  lmdb: '#2f855a',
  level: '#c05621',
  sqlite: '#718096',
}
const FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

function colorOf(t) {
  if (t.family === 'dbdb') return t.id.startsWith('dbdb-binary') ? COLORS['dbdb-binary'] : COLORS['dbdb-bplus']
  return COLORS[t.family] ?? '#444'
}

/** A log-scale domain [lo, hi] around 1 covering every ratio, on powers of 10 or 1-2-5 steps. */
function domainOf(report) {
  let lo = 1
  let hi = 1
  for (const t of report.targets) {
    for (const f of report.figures) {
      const r = t.ratio[f.key]
      if (typeof r === 'number' && r > 0) {
        lo = Math.min(lo, r)
        hi = Math.max(hi, r)
      }
    }
  }
  const steps = [1, 2, 5, 10]
  const up = (x) => {
    const p = 10 ** Math.floor(Math.log10(x))
    return p * steps.find((s) => s * p >= x * 0.999)
  }
  const down = (x) => 1 / up(1 / x)
  lo = Math.max(1e-3, down(Math.min(lo, 0.5)))
  hi = Math.min(1e3, up(Math.max(hi, 2)))
  return [lo, hi]
}

function ticksOf([lo, hi]) {
  const wide = Math.log10(hi / lo) > 3
  const out = []
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const m of wide ? [1] : [1, 2, 5]) {
      const v = m * 10 ** p
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v)
    }
  }
  return out
}

const tickLabel = (v) => (v >= 1 ? `${v}×` : `${Number(v.toPrecision(2))}×`)

function valueText(f, t) {
  const v = t.median[f.key]
  if (typeof v !== 'number') return ''
  return f.kind === 'bytes' ? formatBytes(v) : formatMs(v)
}

export function toSvg(report) {
  const W = 1320
  const cols = 2
  const gap = 24
  const margin = 16
  const PW = (W - 2 * margin - gap * (cols - 1)) / cols
  const rowH = 16
  const labelW = 178
  const numW = 128
  const x0 = labelW
  const x1 = PW - numW
  const targets = report.targets
  const panelH = 40 + targets.length * rowH + 30
  const headerH = 118
  const figures = report.figures
  const rows = Math.ceil((figures.length + 1) / cols)
  const H = headerH + rows * (panelH + gap) + 40
  const [lo, hi] = domainOf(report)
  const X = (r) => x0 + ((Math.log(r) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * (x1 - x0)
  const clampX = (r) => X(Math.min(hi, Math.max(lo, r)))
  const ticks = ticksOf([lo, hi])
  const m = report.meta
  const s = []

  s.push(`<svg xmlns='http://www.w3.org/2000/svg' width='${W}' height='${H}' viewBox='0 0 ${W} ${H}' ${FONT} font-size='11'>`)
  s.push(
    `<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'><rect width='6' height='6' fill='#fff'/><line x1='0' y1='0' x2='0' y2='6' stroke='#c53030' stroke-width='2'/></pattern></defs>`,
  )
  s.push(`<rect width='100%' height='100%' fill='#ffffff'/>`)
  s.push(
    `<text x='${margin}' y='30' font-size='20' font-weight='bold' fill='#1a202c'>DBDB and its peers, relative to better-sqlite3</text>`,
  )
  s.push(
    `<text x='${margin}' y='52' font-size='12' fill='#2d3748'>${esc(
      `N = ${formatCount(m.n)} entries of 16-byte keys and 100-byte values · median of ${m.runs} run(s), each store in its own process · log scale · shorter bars to the left are better`,
    )}</text>`,
  )
  s.push(
    `<text x='${margin}' y='70' font-size='12' fill='#2d3748'>${esc(
      `Each bar: the store's figure ÷ better-sqlite3's in the same durability mode and round (durable rows vs synchronous=FULL, no-sync rows vs OFF). Right column: ratio and the median figure.`,
    )}</text>`,
  )
  s.push(`<text x='${margin}' y='86' font-size='11' fill='#718096'>${esc(`${m.date} · Node ${m.node} · ${m.cpus} × ${m.cpuModel}`)}</text>`)
  // Legend.
  let lx = margin
  const legend = [
    ['DBDB B+ tree', COLORS['dbdb-bplus'], 1],
    ['DBDB binary tree', COLORS['dbdb-binary'], 1],
    ['lmdb', COLORS.lmdb, 1],
    ['classic-level', COLORS.level, 1],
    ['better-sqlite3', COLORS.sqlite, 1],
    ['lighter: no-sync mode', '#4a5568', 0.45],
  ]
  for (const [name, color, opacity] of legend) {
    s.push(`<rect x='${lx}' y='97' width='14' height='11' fill='${color}' fill-opacity='${opacity}'/>`)
    s.push(`<text x='${lx + 19}' y='107' fill='#1a202c'>${esc(name)}</text>`)
    lx += 30 + name.length * 6.6
  }
  s.push(`<rect x='${lx}' y='97' width='14' height='11' fill='url(#hatch)' stroke='#c53030'/>`)
  s.push(`<text x='${lx + 19}' y='107' fill='#c53030'>failed its correctness checks</text>`)

  figures.forEach((f, i) => {
    const px = margin + (i % cols) * (PW + gap)
    const py = headerH + Math.floor(i / cols) * (panelH + gap)
    s.push(`<g transform='translate(${px},${py})'>`)
    s.push(`<rect x='0' y='0' width='${PW}' height='${panelH}' fill='#f7fafc' stroke='#e2e8f0' rx='4'/>`)
    s.push(`<text x='10' y='18' font-size='14' font-weight='bold' fill='#1a202c'>${esc(f.label)}</text>`)
    s.push(`<text x='10' y='33' font-size='10.5' fill='#4a5568'>${esc(f.title)}</text>`)
    const top = 40
    const bottom = top + targets.length * rowH
    for (const v of ticks) {
      const x = X(v).toFixed(1)
      s.push(
        `<line x1='${x}' y1='${top - 2}' x2='${x}' y2='${bottom + 2}' stroke='${v === 1 ? '#1a202c' : '#e2e8f0'}' stroke-width='${v === 1 ? 1.5 : 1}'/>`,
      )
      s.push(`<text x='${x}' y='${bottom + 14}' text-anchor='middle' font-size='10' fill='#4a5568'>${tickLabel(v)}</text>`)
    }
    s.push(`<text x='${x0}' y='${bottom + 26}' font-size='10' fill='#2f855a'>← better than better-sqlite3</text>`)
    s.push(`<text x='${x1}' y='${bottom + 26}' text-anchor='end' font-size='10' fill='#c53030'>worse →</text>`)
    targets.forEach((t, j) => {
      const y = top + j * rowH
      const cy = y + rowH / 2 + 4
      s.push(
        `<text x='${x0 - 8}' y='${cy}' text-anchor='end' fill='${t.ok ? '#1a202c' : '#c53030'}'>${esc(t.ok ? t.label : `✗ ${t.label}`)}</text>`,
      )
      const r = t.ratio[f.key]
      if (typeof r !== 'number') {
        s.push(`<text x='${X(1) + 5}' y='${cy}' font-style='italic' fill='#718096'>n/a</text>`)
        return
      }
      const a = X(1)
      const b = clampX(r)
      const left = Math.min(a, b)
      const width = Math.max(1.5, Math.abs(b - a))
      const fill = t.ok ? colorOf(t) : 'url(#hatch)'
      s.push(
        `<rect x='${left.toFixed(1)}' y='${y + 2}' width='${width.toFixed(1)}' height='${rowH - 4}' fill='${fill}' fill-opacity='${t.ok && !t.durable ? 0.45 : 1}'${t.ok ? '' : " stroke='#c53030'"}><title>${esc(`${t.id}: ${valueText(f, t)}, ${formatRatio(r)} better-sqlite3`)}</title></rect>`,
      )
      if (r > hi || r < lo)
        s.push(
          `<text x='${r > hi ? b - 3 : b + 3}' y='${cy}' text-anchor='${r > hi ? 'end' : 'start'}' font-weight='bold' fill='#fff'>${r > hi ? '»' : '«'}</text>`,
        )
      if (t.id === t.baseline) {
        s.push(`<text x='${x1 + 8}' y='${cy}' fill='#718096'>baseline</text>`)
      } else {
        const weight = r < 1 ? " font-weight='bold'" : ''
        s.push(`<text x='${x1 + 8}' y='${cy}' fill='${r <= 1 ? '#22543d' : '#742a2a'}'${weight}>${esc(formatRatio(r))}</text>`)
      }
      s.push(`<text x='${x1 + 58}' y='${cy}' fill='#4a5568'>${esc(valueText(f, t))}</text>`)
    })
    s.push(`</g>`)
  })
  // The free slot after the last panel (or a row of its own): what passed, what was n/a.
  {
    const i = figures.length
    const px = margin + (i % cols) * (PW + gap)
    const py = headerH + Math.floor(i / cols) * (panelH + gap)
    const lines = notesOf(report)
    s.push(`<g transform='translate(${px},${py})'>`)
    s.push(`<rect x='0' y='0' width='${PW}' height='${panelH}' fill='#ffffff' stroke='#e2e8f0' rx='4'/>`)
    s.push(`<text x='10' y='18' font-size='14' font-weight='bold' fill='#1a202c'>Correctness and notes</text>`)
    lines.slice(0, Math.floor((panelH - 30) / 15)).forEach(([text, color], j) => {
      s.push(
        `<text x='10' y='${38 + j * 15}' font-size='11' fill='${color}'>${esc(text.length > 105 ? `${text.slice(0, 104)}…` : text)}</text>`,
      )
    })
    s.push(`</g>`)
  }
  s.push(`</svg>`)
  return `${s.join('\n')}\n`
}

function notesOf(report) {
  const out = []
  const failed = report.targets.filter((t) => !t.ok)
  const checks = report.targets.reduce((a, t) => a + t.checksPassed, 0)
  if (failed.length === 0) {
    out.push([`✓ Every store passed all its checks (${formatCount(checks)} in all): values read back,`, '#22543d'])
    out.push(['   misses, counts, key order, values after overwrites and compaction, and after reopening.', '#22543d'])
  } else {
    for (const t of failed) {
      const why =
        t.errors[0] ??
        t.checks
          .filter((c) => c.failed)
          .map((c) => `${c.name} (${c.failed} failed)`)
          .join(', ')
      out.push([`✗ ${t.id}: ${why}`, '#c53030'])
    }
    out.push(['   Hatched bars: figures of a store that returned wrong results do not count.', '#c53030'])
  }
  for (const t of report.targets) for (const n of t.notes) out.push([`n/a ${t.id}: ${n}`, '#4a5568'])
  out.push(['Durable rows sync every commit (fsync / synchronous=FULL / lmdb sync / level sync: true);', '#4a5568'])
  out.push(['no-sync rows never sync. lmdb: size after compaction is its compacting copy (backup).', '#4a5568'])
  const harness = harnessRss(report)
  out.push([
    `Peak RSS includes ${harness ? `${formatBytes(harness)} held by every child before it opens its store` : "the harness's own data"} (Node + data);`,
    '#4a5568',
  ])
  out.push(["lmdb's also counts the resident pages of its memory-mapped file.", '#4a5568'])
  out.push([`Full figures, spreads and every run: the JSON file of ${report.meta.date}.`, '#4a5568'])
  return out
}
