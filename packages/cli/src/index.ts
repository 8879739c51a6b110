export { run, usage, EXIT, type Output } from './cli.js'
