export { EXIT, type Output, run, usage } from './cli.js'
