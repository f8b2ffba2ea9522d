#!/usr/bin/env node
// Import cycles in src/, checked by `npm run lint`. dpdm parses and resolves every import of
// src/**/*.ts, type-only imports included (a type cycle ties files together for a reader as
// much as a value cycle does). Files that reach each other through imports form a group (a
// strongly connected component of the import graph); every group must be in KNOWN_CYCLES,
// file for file. A new cycle or a file joining a known one fails; so does a known group that
// shrank or is gone, so that the list always says what is true and can only get shorter. When
// it is empty the check is strict. On failure the groups found are printed as the list's code.
import { parseDependencyTree } from 'dpdm';

/** The cycles that remain, each with the imports that close it. Remove a group when it is fixed. */
const KNOWN_CYCLES = [
];

/** Strongly connected components of more than one file (Tarjan), each sorted, sorted by first file. */
function cycleGroups(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const group = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.sort((a, b) => a[0].localeCompare(b[0]));
}

/** A shortest import loop through the group's first file, to show what closes the cycle. */
function loopThrough(graph, group) {
  const start = group[0];
  const inGroup = new Set(group);
  const cameFrom = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inGroup.has(w) || cameFrom.has(w)) continue;
      cameFrom.set(w, v);
      if (w === start) {
        const loop = [start];
        for (let u = v; u !== start; u = cameFrom.get(u)) loop.unshift(u);
        return [start, ...loop.slice(0, -1), start];
      }
      queue.push(w);
    }
  }
  return group;
}

const tree = await parseDependencyTree('src/**/*.ts', { context: process.cwd(), tsconfig: 'tsconfig.json', transform: false });
const graph = new Map();
for (const [file, deps] of Object.entries(tree)) {
  if (!file.startsWith('src/')) continue;
  graph.set(file, (deps ?? []).map((d) => d.id).filter((id) => id !== null && id.startsWith('src/')));
}
const found = cycleGroups(graph);

const key = (group) => [...group].sort().join('\n');
const known = new Set(KNOWN_CYCLES.map(key));
const problems = [];
for (const group of found) {
  if (known.has(key(group))) continue;
  const overlapping = KNOWN_CYCLES.filter((k) => k.some((f) => group.includes(f)));
  const before = new Set(overlapping.flat());
  const joined = group.filter((f) => !before.has(f));
  if (overlapping.length === 0) problems.push(`new import cycle: ${loopThrough(graph, group).join(' → ')}${group.length > 2 ? ` (${group.length} files)` : ''}`);
  else if (joined.length > 0) problems.push(`a known cycle grew: ${joined.join(', ')} joined it`);
  else if (overlapping.length > 1) problems.push(`known cycles merged into one: ${overlapping.map((k) => k[0]).join(', ')}`);
  else problems.push(`a known cycle shrank (good): update KNOWN_CYCLES`);
}
for (const k of KNOWN_CYCLES) {
  if (!found.some((g) => g.some((f) => k.includes(f)))) problems.push(`a known cycle is gone (good): remove it from KNOWN_CYCLES (${k.join(', ')})`);
}

const fileCount = found.reduce((n, g) => n + g.length, 0);
if (problems.length === 0) {
  console.log(`import cycles: ${found.length} known (${fileCount} files), none new`);
} else {
  console.error(`import cycles (scripts/check-cycles.mjs):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const loops = found.map((g) => `  ${loopThrough(graph, g).join(' → ')}`).join('\n');
  console.error(`\nThe ${found.length} cycles now (${fileCount} files), one loop of each:\n${loops}`);
  console.error(`\nas KNOWN_CYCLES:\n${JSON.stringify(found, null, 2)}`);
  process.exit(1);
}
