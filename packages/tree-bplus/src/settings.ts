// The node sizes a tree is opened or built with (see factory.ts).

export interface BPlusTreeSettings {
  readonly order: number
  readonly branchOrder: number
  readonly inlineValueMax: number
}
