/**
 * Connected components of the pairs at or above the threshold, by union-find. Nodes are numbered
 * left records first, then right records (a dedupe has no right side). Returns a cluster number per
 * node, numbered from 1 in order of first appearance so that output is stable between runs.
 */
export function connectedComponents(nodes: number, edgesA: ArrayLike<number>, edgesB: ArrayLike<number>, keep: (e: number) => boolean): Int32Array {
  const parent = new Int32Array(nodes)
  for (let i = 0; i < nodes; i++) parent[i] = i
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]]
      x = parent[x]
    }
    return x
  }
  for (let e = 0; e < edgesA.length; e++) {
    if (!keep(e)) continue
    const a = find(edgesA[e])
    const b = find(edgesB[e])
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
  }
  // A root is a node number, so each root's cluster number is kept in an array by node (0 for none yet).
  const label = new Int32Array(nodes)
  const numberOf = new Int32Array(nodes)
  let clusters = 0
  for (let i = 0; i < nodes; i++) {
    const root = find(i)
    if (numberOf[root] === 0) numberOf[root] = ++clusters
    label[i] = numberOf[root]
  }
  return label
}
