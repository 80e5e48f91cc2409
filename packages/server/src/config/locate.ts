/**
 * Places findings in the file: a data path (`['agents', 0, 'owner']`) becomes the line and
 * column of the offending value, or of its key for unknown keys. A path that stops short (a
 * missing key) points at the nearest thing that exists: the parent's key, or the list item.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { formatPath, type Diagnostic, type Finding, type PathSegment } from './diagnostics.js';

interface Step {
  readonly node: Node | null;
  /** The key this node was reached through, when it is a mapping value. */
  readonly key: Node | null;
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return isNode(node) ? node : null;
}

function keyMatches(key: unknown, segment: PathSegment): boolean {
  const value = isScalar(key) ? key.value : key;
  return String(value) === String(segment);
}

/** Walks the document along the path, as far as it goes. */
function walk(doc: Document, path: readonly PathSegment[]): { steps: Step[]; complete: boolean } {
  const steps: Step[] = [{ node: resolve(doc, doc.contents), key: null }];
  for (const segment of path) {
    const here = steps.at(-1)!.node;
    let next: Step | undefined;
    if (isMap(here)) {
      const pair = here.items.find((p) => keyMatches(p.key, segment));
      if (pair) next = { node: resolve(doc, pair.value), key: isNode(pair.key) ? pair.key : null };
    } else if (isSeq(here) && typeof segment === 'number') {
      const item: unknown = here.items[segment];
      if (item !== undefined) next = { node: resolve(doc, isPair(item) ? item.value : item), key: null };
    }
    if (!next) return { steps, complete: false };
    steps.push(next);
  }
  return { steps, complete: true };
}

function startOf(node: Node | null): number | undefined {
  return node?.range?.[0];
}

export function offsetOf(doc: Document, finding: Pick<Finding, 'path' | 'at'>): number {
  const { steps, complete } = walk(doc, finding.path);
  const last = steps.at(-1)!;
  // An empty value (`owner:`) has no text of its own; its key is what the reader looks for.
  const empty = isScalar(last.node) && last.node.value === null;
  const preferKey = !complete || finding.at === 'key' || empty;
  for (const candidate of preferKey ? [last.key, last.node] : [last.node, last.key]) {
    const offset = startOf(candidate);
    if (offset !== undefined) return offset;
  }
  for (const step of [...steps].reverse()) {
    const offset = startOf(step.key) ?? startOf(step.node);
    if (offset !== undefined) return offset;
  }
  return 0;
}

export function toDiagnostic(file: string, doc: Document, lines: LineCounter, finding: Finding): Diagnostic {
  const { line, col } = lines.linePos(offsetOf(doc, finding));
  return { file, line, column: col, path: formatPath(finding.path), message: finding.message, code: finding.code };
}
