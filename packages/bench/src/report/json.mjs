// The JSON report: everything, including every run's raw figures and checks.
export function toJson(report) {
  return `${JSON.stringify(report, null, 2)}\n`
}
